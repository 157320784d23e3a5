import werkzeug

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController


class HelpdeskTicketPortal(HelpdeskTicketController):
    """helpdesk_mgmt's portal ticket routes, kept to the tickets the customer may see."""

    # POST only, with the CSRF token of the ticket page's close form
    # (``portal_helpdesk_ticket_page_close_post``): helpdesk_mgmt's close button was a GET
    # link, so a link planted anywhere (an image, an e-mail) closed the customer's ticket.
    # A GET now answers 405 and changes nothing.
    @http.route("/ticket/close", type="http", auth="user", methods=["POST"], csrf=True)
    def support_ticket_close(self, **kw):
        # helpdesk_mgmt finds the ticket through sudo by the id it is given: without this
        # check any logged-in user could close any ticket of any customer.
        try:
            ticket_id, stage_id = int(kw.get("ticket_id") or 0), int(kw.get("stage_id") or 0)
            ticket = request.env["helpdesk.ticket"].browse(ticket_id)
            ticket.check_access("read")
        except (AccessError, MissingError, ValueError):
            return request.redirect("/my")
        if ticket.closed:  # closed once: a second post (a double click) changes nothing
            return request.redirect(f"/my/ticket/{ticket.id}")
        # Reading is not closing: a follower who is not the customer (nor an agent with write
        # access) is refused (AccessError: 403 with its message). A stage that does not close
        # the ticket's team's tickets changes nothing and leads back to the ticket, as
        # helpdesk_mgmt answers an invalid stage.
        try:
            ticket._relational_check_close(request.env["helpdesk.ticket.stage"].browse(stage_id))
        except AccessError:
            raise
        except UserError:
            return werkzeug.utils.redirect(f"/my/ticket/{ticket.id}")
        # Only the two ids: helpdesk_mgmt converts every other ``*_id`` parameter unchecked.
        return super().support_ticket_close(ticket_id=ticket_id, stage_id=stage_id)
