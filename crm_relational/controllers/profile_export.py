from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import content_disposition, request


class RelationalProfileExport(http.Controller):
    @http.route(
        "/crm_relational/profile_export/<int:partner_id>",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def profile_export(self, partner_id):
        """The customer's relational profile as a JSON download, built for the requesting
        user from what they may read, and stored nowhere: no other user can fetch it."""
        partner = request.env["res.partner"].browse(partner_id).exists()
        if not partner:
            raise NotFound()
        try:
            name, content = partner._relational_export_file()
        except AccessError as error:
            raise Forbidden(str(error)) from error
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Disposition", content_disposition(name)),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
