from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController


class HelpdeskTicketPortal(HelpdeskTicketController):
    """helpdesk_mgmt's portal ticket routes, kept to the tickets the customer may see."""

    @http.route("/ticket/close", type="http", auth="user")
    def support_ticket_close(self, **kw):
        # helpdesk_mgmt finds the ticket through sudo by the id it is given: without this
        # check any logged-in user could close any ticket of any customer.
        try:
            request.env["helpdesk.ticket"].browse(int(kw.get("ticket_id") or 0)).check_access(
                "read"
            )
        except (AccessError, MissingError, ValueError):
            return request.redirect("/my")
        return super().support_ticket_close(**kw)
