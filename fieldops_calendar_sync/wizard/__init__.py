from . import conflict_review
from . import sync_preview
from . import readiness_override
from . import organization_add
from . import free_slots
