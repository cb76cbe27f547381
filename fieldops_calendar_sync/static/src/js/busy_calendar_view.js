/** @odoo-module **/
// Busy times beside the jobs (issue #26): Field Service's order calendar also shows the crews' busy
// blocks (fieldops.calendar.busy), read-only and labelled with the status and the worker. A block has no
// title to show: none is stored. Loading or drawing them must never break the jobs' calendar, so any
// failure here leaves the jobs as Odoo draws them, without busy blocks.

import { deserializeDateTime, serializeDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { calendarView } from "@web/views/calendar/calendar_view";
import { CalendarModel } from "@web/views/calendar/calendar_model";
import { CalendarRenderer } from "@web/views/calendar/calendar_renderer";
import { CalendarCommonRenderer } from "@web/views/calendar/calendar_common/calendar_common_renderer";

const BUSY_MODEL = "fieldops.calendar.busy";
const BUSY_PREFIX = "fieldops_busy_";
const WORKER_FIELD = "person_id";

function busyBlockOf(event) {
    return event && event.extendedProps ? event.extendedProps.fieldopsBusy : undefined;
}

export class FieldopsBusyCalendarModel extends CalendarModel {
    setup() {
        super.setup(...arguments);
        this.data.busyBlocks = [];
    }

    get busyBlocks() {
        return this.data.busyBlocks || [];
    }

    /** @override: the jobs as Odoo loads them, then the busy blocks of the same range. */
    async updateData(data) {
        await super.updateData(data);
        data.busyBlocks = await this.loadBusyBlocks(data);
    }

    /**
     * The workers whose blocks to show: those ticked in the worker filter, or null for everyone (its
     * "Everything" box, or no worker filter in the view).
     */
    busyWorkerIds(data) {
        const section = data.filterSections && data.filterSections[WORKER_FIELD];
        const info = this.meta.filtersInfo && this.meta.filtersInfo[WORKER_FIELD];
        if (!section || !info || !info.writeResModel) {
            return null;
        }
        const all = section.filters.find((filter) => filter.type === "all");
        if (all && all.active) {
            return null;
        }
        return section.filters
            .filter((filter) => filter.type !== "all" && filter.active && filter.value)
            .map((filter) => filter.value);
    }

    async loadBusyBlocks(data) {
        if (this.meta.scale === "year" || !data.range) {
            return [];
        }
        try {
            const blocks = await this.orm.call(
                BUSY_MODEL,
                "calendar_blocks",
                [serializeDateTime(data.range.start), serializeDateTime(data.range.end)],
                { person_ids: this.busyWorkerIds(data) }
            );
            return blocks.map((block) => ({
                ...block,
                start: deserializeDateTime(block.start),
                end: deserializeDateTime(block.end),
            }));
        } catch (error) {
            console.warn("fieldops: busy times not shown:", error && error.message);
            return [];
        }
    }
}

export class FieldopsBusyCommonRenderer extends CalendarCommonRenderer {
    get options() {
        // overlapping entries side by side, never drawn over one another: a busy time stays readable beside
        // the job it collides with
        return { ...super.options, slotEventOverlap: false };
    }

    mapRecordsToEvents() {
        const events = super.mapRecordsToEvents();
        try {
            return [...events, ...this.busyEvents()];
        } catch (error) {
            console.warn("fieldops: busy times not drawn:", error && error.message);
            return events;
        }
    }

    busyLabel(block) {
        return _t("%(status)s: %(who)s", { status: block.status_label, who: block.who || "" });
    }

    busyEvents() {
        return this.props.model.busyBlocks.map((block) => {
            const allDay = block.end.diff(block.start, "hours").hours >= 24;
            return {
                id: `${BUSY_PREFIX}${block.id}`,
                title: this.busyLabel(block),
                start: block.start.toISO(),
                end: block.end.toISO(),
                allDay,
                editable: false,
                startEditable: false,
                durationEditable: false,
                classNames: ["o_fieldops_busy", `o_fieldops_busy_${block.status}`],
                extendedProps: { fieldopsBusy: block },
            };
        });
    }

    eventClassNames(info) {
        if (busyBlockOf(info.event)) {
            return [];  // the event's own classNames say it all
        }
        return super.eventClassNames(info);
    }

    onEventContent(info) {
        const block = busyBlockOf(info.event);
        if (!block) {
            return super.onEventContent(info);
        }
        const line = (className, text) => {
            const div = document.createElement("div");
            div.className = className;
            div.textContent = text;
            return div;
        };
        if (this.props.model.scale === "month") {
            // one line, as the month shows a job: its start time, then what it is
            const text = `${this.getStartTime(block)} ${this.busyLabel(block)}`;
            return { domNodes: [line("o_fieldops_busy_line text-truncate", text)] };
        }
        // narrow columns: the status, the worker and the time each on a line, wrapped rather than cut
        return {
            domNodes: [
                line("o_fieldops_busy_title", block.status_label),
                line("o_fieldops_busy_who", block.who || ""),
                line("o_fieldops_busy_time", `${this.getStartTime(block)} - ${this.getEndTime(block)}`),
            ],
        };
    }

    onEventDidMount(info) {
        const block = busyBlockOf(info.event);
        if (!block) {
            return super.onEventDidMount(info);
        }
        info.el.dataset.fieldopsBusyId = block.id;
        info.el.title = _t("%(label)s, %(start)s - %(end)s (from the calendar; not a job)", {
            label: this.busyLabel(block),
            start: this.getStartTime(block),
            end: this.getEndTime(block),
        });
    }

    onEventClick(info) {
        if (busyBlockOf(info.event)) {
            return; // nothing to open: a busy time is not a job
        }
        return super.onEventClick(info);
    }

    onEventMouseEnter(info) {
        if (!busyBlockOf(info.event)) {
            return super.onEventMouseEnter(info);
        }
    }

    onEventMouseLeave(info) {
        if (!busyBlockOf(info.event)) {
            return super.onEventMouseLeave(info);
        }
    }
}

export class FieldopsBusyCalendarRenderer extends CalendarRenderer {
    static components = {
        ...CalendarRenderer.components,
        day: FieldopsBusyCommonRenderer,
        week: FieldopsBusyCommonRenderer,
        month: FieldopsBusyCommonRenderer,
    };
}

export const fieldopsBusyCalendarView = {
    ...calendarView,
    Model: FieldopsBusyCalendarModel,
    Renderer: FieldopsBusyCalendarRenderer,
};

registry.category("views").add("fieldops_busy_calendar", fieldopsBusyCalendarView);
