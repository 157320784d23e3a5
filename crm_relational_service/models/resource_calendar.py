from odoo import models

# What a calendar's hours depend on, besides its attendances.
HOURS_FIELDS = {"tz", "flexible_hours", "two_weeks_calendar", "attendance_ids", "active"}


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
        """Forget the calendars' hours routing keeps (see
        ``crm.relational.routing._forget_kept``)."""
        self.env["crm.relational.routing"]._forget_kept()
