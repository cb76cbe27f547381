"""Builds provider configurations and clients from Settings (or the sandbox) for the models."""

import json
import os

from odoo.exceptions import UserError
from odoo.tools import config

from calsync import push_address
from calsync.google import GoogleConfig
from calsync.microsoft import MicrosoftConfig

SANDBOX_CONFIG_KEY = "fieldops_calendar_sync_sandbox"
SANDBOX_PARAM = "fieldops_calendar_sync.sandbox_info_path"
CALLBACK_PATH = "/fieldops_calendar_sync/oauth/%s/callback"


def sandbox_mode(env):
    return env["ir.config_parameter"].sudo().get_param("fieldops_calendar_sync.sandbox_mode") in ("True", "1")


def sandbox_info(env):
    """URLs, sandbox credentials and CA file of the running ``python -m calsync.sandbox``."""
    path = config.get(SANDBOX_CONFIG_KEY) or env["ir.config_parameter"].sudo().get_param(SANDBOX_PARAM)
    if not path or not os.path.exists(path):
        raise UserError(
            env._(
                "Sandbox mode is on, but the sandbox providers are not running. Start them with "
                "'python -m calsync.sandbox --info-file PATH' and set 'fieldops_calendar_sync_sandbox = PATH' "
                "in the Odoo configuration file (the run command does both)."
            )
        )
    with open(path) as handle:
        return json.load(handle)


def public_base_url(env):
    params = env["ir.config_parameter"].sudo()
    return (params.get_param("fieldops_calendar_sync.public_base_url") or params.get_param("web.base.url")
            or "").rstrip("/")


def push_refusal_text(env, base_url, sandbox):
    """Why Google and Microsoft would not push to ``base_url``, in words for an admin, or False."""
    refusal = push_address.push_refusal(base_url, sandbox)
    if refusal is None:
        return False
    if refusal == push_address.MISSING:
        return env._("No public base URL is set, so Google and Microsoft cannot send push notifications: "
                     "calendar changes arrive only with the safety-net pull (every 15 minutes). Set the "
                     "https address of this Odoo in Settings > Calendar Sync.")
    return env._("Google and Microsoft deliver push notifications only to https addresses, and %(url)s is not "
                 "one: no push channel is opened, and calendar changes arrive only with the safety-net pull "
                 "(every 15 minutes). Serve Odoo over https and enter that address to get changes within "
                 "seconds.", url=base_url)


def push_refusal(env):
    """``push_refusal_text`` for the saved settings: the public base URL and sandbox mode."""
    return push_refusal_text(env, public_base_url(env), sandbox_mode(env))


def redirect_uri(env, provider):
    return public_base_url(env) + CALLBACK_PATH % provider


def provider_config(env, provider):
    """``GoogleConfig`` / ``MicrosoftConfig`` for the sandbox or for the real provider."""
    params = env["ir.config_parameter"].sudo()
    if sandbox_mode(env):
        info = sandbox_info(env)
        side = info[provider]
        if provider == "google":
            return GoogleConfig.sandbox(side["base_url"], info["ca_cert"], client_id=side["client_id"],
                                        client_secret=side["client_secret"], consent_url=side.get("consent_url"))

        return MicrosoftConfig.sandbox(side["base_url"], info["ca_cert"], client_id=side["client_id"],
                                       client_secret=side["client_secret"], consent_url=side.get("consent_url"))
    client_id = params.get_param(f"fieldops_calendar_sync.{provider}_client_id")
    secret = env["res.config.settings"]._fieldops_client_secret(provider)
    if not client_id or not secret:
        raise UserError(
            env._(
                "Enter the %(provider)s client id and secret in Settings > Field Service > Calendar Sync first.",
                provider=env._("Google") if provider == "google" else env._("Microsoft"),
            )
        )
    if provider == "google":
        return GoogleConfig.production(client_id, secret)

    tenant = params.get_param("fieldops_calendar_sync.microsoft_tenant") or "common"
    return MicrosoftConfig.production(client_id, secret, tenant=tenant)
