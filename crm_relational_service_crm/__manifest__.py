{
    "name": "CRM Relational Service - Helpdesk CRM",
    "summary": "With OCA's Link between Helpdesk and CRM installed: one way to turn a ticket "
    "into an opportunity, one Opportunities button",
    "version": "19.0.1.0.0",
    "category": "After-Sales",
    "license": "AGPL-3",
    "author": "crm_relational developers",
    "website": "https://github.com/crm-relational/crm_relational",
    "depends": ["crm_relational_service", "helpdesk_mgmt_crm"],
    "data": ["views/helpdesk_ticket_views.xml"],
    "post_init_hook": "post_init_hook",
    "auto_install": True,
}
