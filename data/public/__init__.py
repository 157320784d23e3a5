"""Public real-world data sets, loaded into Odoo the way Odoo records them.

    python3 -m data.public.maven -c ODOO_CONF -d DB --csv DIR_OR_sales_pipeline.csv

``maven``: the Maven Analytics "CRM Sales Opportunities" B2B pipeline (about 8,800 deals of 35
salespeople in 3 regional offices, 85 accounts, 7 products, October 2016 - December 2017), for
the forecast backtest (``bench/backtest_public.py``). The data sets are not in the repository:
download them first (see the README, "Public data").
"""
