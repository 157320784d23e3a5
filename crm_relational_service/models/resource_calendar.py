from odoo import models

# What a calendar's hours depend on, besides its attendances.
HOURS_FIELDS = {"tz", "flexible_hours", "two_weeks_calendar", "attendance_ids", "active"}
FORGET_KEY = "crm_relational_service.forget_hours"


class ResourceCalendar(models.Model):
    """Working hours: routing keeps each calendar's hours of the day between requests
    (``crm.relational.routing._day_attendance``); changing them forgets what was kept."""

    _inherit = "resource.calendar"

    def write(self, vals):
        result = super().write(vals)
        if HOURS_FIELDS & set(vals):
            self._relational_forget_hours()
        return result

    def unlink(self):
        result = super().unlink()
        self._relational_forget_hours()
        return result

    def _relational_forget_hours(self):
        """Forget the calendars' hours routing keeps: now, and again when the transaction
        ends (committed or not), so that no request keeps hours read before the change was
        committed, or from a change that was rolled back."""
        registry, cr = self.env.registry, self.env.cr
        registry.clear_cache()
        for callbacks in (cr.postcommit, cr.postrollback):
            if not callbacks.data.get(FORGET_KEY):
                callbacks.data[FORGET_KEY] = True
                callbacks.add(registry.clear_cache)
