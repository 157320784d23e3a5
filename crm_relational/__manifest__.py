{
    "name": "CRM Relational Intelligence",
    "summary": "Relationship value, stage, type and health of every customer, "
    "computed from sales, invoices, payments, deliveries and interactions",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "crm_relational developers",
    "website": "https://github.com/crm-relational/crm_relational",
    "depends": [
        "crm",
        "sale_management",
        "sale_stock",
        "account",
        "contacts",
        "calendar",
    ],
    "data": [
        "security/crm_relational_security.xml",
        "security/ir.model.access.csv",
        "report/crm_relational_timeline_views.xml",
        "views/crm_relational_segment_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_relational_menus.xml",
    ],
    "demo": ["demo/crm_relational_segment_demo.xml"],
    "application": True,
}
