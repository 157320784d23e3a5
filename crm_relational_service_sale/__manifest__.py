{
    "name": "CRM Relational Service - Helpdesk Sale Order",
    "summary": "With OCA's Helpdesk Sale Order installed: one Tickets button on the order, and a "
    "ticket's order among its linked orders",
    "version": "19.0.1.0.0",
    "category": "After-Sales",
    "license": "AGPL-3",
    "author": "crm_relational developers",
    "website": "https://github.com/crm-relational/crm_relational",
    "depends": ["crm_relational_service", "helpdesk_mgmt_sale"],
    "data": ["views/sale_order_views.xml"],
    "post_init_hook": "post_init_hook",
    "auto_install": True,
}
