from odoo import api, models


class ResourceCalendarAttendance(models.Model):
    """A calendar's working hours on a day of the week: changing them forgets the hours
    routing keeps (see ``resource.calendar._relational_forget_hours``)."""

    _inherit = "resource.calendar.attendance"

    @api.model_create_multi
    def create(self, vals_list):
        attendances = super().create(vals_list)
        self.env["resource.calendar"]._relational_forget_hours()
        return attendances

    def write(self, vals):
        result = super().write(vals)
        self.env["resource.calendar"]._relational_forget_hours()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["resource.calendar"]._relational_forget_hours()
        return result
