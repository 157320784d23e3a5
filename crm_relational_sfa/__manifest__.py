{
    "name": "CRM Relational Sales Force Automation",
    "summary": "Calibrated opportunity forecasts joined with sales history, sales targets, "
    "and stock lookups a rep can do during a call",
    "version": "19.0.1.3.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "crm_relational developers",
    "website": "https://github.com/crm-relational/crm_relational",
    "depends": ["crm_relational", "sale_stock", "sale_crm"],
    "external_dependencies": {"python": ["numpy", "scipy"]},
    "data": [
        "security/crm_relational_sfa_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/crm_relational_sales_target_views.xml",
        "views/crm_relational_forecast_views.xml",
        "views/crm_lead_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_relational_stock_lookup_views.xml",
        "views/res_partner_call_sheet_views.xml",
        "views/crm_relational_sfa_menus.xml",
    ],
    "demo": ["demo/crm_relational_sales_target_demo.xml"],
    "assets": {
        "web.assets_backend": ["crm_relational_sfa/static/src/**/*"],
        "web.assets_tests": ["crm_relational_sfa/static/tests/tours/*.js"],
    },
}
