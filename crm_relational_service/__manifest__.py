{
    "name": "CRM Relational Service",
    "summary": "Service tickets tied to the customer relationship and the back office: SLA on "
    "business hours, skills-based routing, knowledge base, satisfaction",
    "version": "19.0.1.0.0",
    "category": "After-Sales",
    "license": "AGPL-3",
    "author": "crm_relational developers",
    "website": "https://github.com/crm-relational/crm_relational",
    "depends": ["crm_relational", "helpdesk_mgmt", "resource"],
    "data": [
        "security/crm_relational_service_security.xml",
        "security/ir.model.access.csv",
        "views/crm_relational_skill_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_relational_service_menus.xml",
    ],
    "demo": ["demo/crm_relational_skill_demo.xml"],
}
