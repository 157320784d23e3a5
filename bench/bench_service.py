"""Benchmark: skills-based routing and knowledge base search at volume.

    python3 -m bench.bench_service -c ODOO_CONF -d DB [--size large] [--agents 200]
                                   [--open 100000] [--articles 10000] [--samples 200]

Inside one transaction that is rolled back: a routing team of ``--agents`` agents with
language, channel and product skills, working hours round the clock in two time zones (one in
ten on time off), ``--open`` open tickets spread over them (bulk SQL), and
``--articles`` knowledge base articles in English, Arabic and Persian. Then times creating
``--samples`` tickets routed to the least-loaded qualified agent working now, next to creating
the same tickets the Odoo-native way (helpdesk_mgmt, no routing), unassigned and with an agent
named by the caller (who then follows the ticket, as a routed ticket's agent does), and
``--samples`` searches of the knowledge base, each drawn from the words of one article (see
``kb_articles``), by full text and by the ticket suggestions next to the Odoo-native ``ilike``
search on title and body.
Prints p50/p95 of each, and for the searches the share that found their article among the
first five (recall@5); appends a JSON line to bench/results/<size>/service.json.
"""

import random
import statistics
import time
from datetime import timedelta

from . import common, kb_articles


def _setup(env, args, rng):
    from odoo import fields
    from odoo.tools import SQL

    cr = env.cr
    for lang in ("ar_001", "fa_IR"):
        env["res.lang"]._activate_lang(lang)
    users = env["res.users"].create(
        [{"name": f"Bench agent {n}", "login": f"bench_agent_{n}_{rng.random()}",
          "group_ids": [(6, 0, env.ref("helpdesk_mgmt.group_helpdesk_user_own").ids)]}
         for n in range(args.agents)]
    )  # fmt: skip
    # Working hours as a service desk has them: a round-the-clock calendar for the team, the
    # agents' own resources in two time zones, and one agent in ten on time off now.
    calendar = env["resource.calendar"].create(
        {"name": "Bench round the clock", "tz": "Asia/Dubai",
         "attendance_ids": [(0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0,
                                    "hour_to": 24, "day_period": "morning"})
                            for day in range(7)]}
    )  # fmt: skip
    resources = env["resource.resource"].create(
        [{"name": user.name, "user_id": user.id, "calendar_id": calendar.id,
          "tz": ("Asia/Dubai", "Asia/Tehran")[n % 2]} for n, user in enumerate(users)]
    )  # fmt: skip
    now = fields.Datetime.now()
    env["resource.calendar.leaves"].create(
        [{"name": "Bench time off", "resource_id": resource.id, "calendar_id": calendar.id,
          "date_from": now - timedelta(days=1), "date_to": now + timedelta(days=1)}
         for resource in resources[::10]]
    )  # fmt: skip
    team = env["helpdesk.ticket.team"].create(
        {"name": "Bench routing", "relational_routing": True,
         "resource_calendar_id": calendar.id, "user_ids": [(6, 0, users.ids)]}
    )  # fmt: skip
    Skill = env["crm.relational.skill"]
    phone = env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
    skills = Skill.create(
        [{"name": "Bench Arabic", "skill_type": "language", "lang": "ar_001", "min_level": 2},
         {"name": "Bench Persian", "skill_type": "language", "lang": "fa_IR", "min_level": 2},
         {"name": "Bench phone", "skill_type": "channel", "channel_id": phone.id}]
    )  # fmt: skip
    stage = team._get_applicable_stages().filtered(lambda s: not s.closed)[:1]
    env.flush_all()
    cr.execute(
        SQL(
            """
        INSERT INTO helpdesk_ticket (number, name, description, team_id, user_id, stage_id,
                                     company_id, priority, active, create_date, write_date,
                                     create_uid, write_uid, last_stage_update, rating_status)
        SELECT 'B' || n, 'Bench ticket ' || n, '<p>bench</p>', %(team)s,
               (%(users)s::int[])[1 + n %% %(count)s], %(stage)s, %(company)s, '1', TRUE,
               now(), now(), 1, 1, now(), %(rating)s
          FROM generate_series(1, %(open)s) n
            """,
            team=team.id,
            users=users.ids,
            count=len(users),
            stage=stage.id,
            company=env.company.id,
            open=args.open,
            rating=env["helpdesk.ticket"].default_get(["rating_status"]).get("rating_status"),
        )
    )
    # The agents after their open tickets: each agent's load is counted once, as an upgrade
    # does, rather than kept ticket by ticket through 100,000 inserts of one transaction.
    env["crm.relational.agent"].create(
        [{"user_id": user.id, "capacity": 10_000,
          "skill_ids": [(0, 0, {"skill_id": skill.id, "level": rng.randint(1, 5)})
                        for skill in skills if rng.random() < 0.6]}
         for user in users]
    )  # fmt: skip
    articles = kb_articles.articles(args.articles)
    # Published articles, where articles have a status (searched and suggested only then).
    published = "state" in env["crm.relational.kb.article"]._fields
    cr.execute(
        SQL(
            """
        INSERT INTO crm_relational_kb_article (name, body, lang, is_public, active,
                                               solved_ticket_count, create_date, write_date,
                                               create_uid, write_uid %(state_column)s)
        SELECT v.name, v.body, v.lang, n %% 3 = 0, TRUE, 0, now(), now(), 1, 1 %(state)s
          FROM unnest(%(names)s::text[], %(bodies)s::text[], %(langs)s::text[])
               WITH ORDINALITY AS v(name, body, lang, n)
         ORDER BY n
     RETURNING id
            """,
            state_column=SQL(", state") if published else SQL(""),
            state=SQL(", 'published'") if published else SQL(""),
            names=[title for title, _body, _lang, _model in articles],
            bodies=[body for _title, body, _lang, _model in articles],
            langs=[lang for _title, _body, lang, _model in articles],
        )
    )
    # The ids in the order of the articles (RETURNING follows the ordered insert).
    ids = sorted(row[0] for row in cr.fetchall())
    # The statistics autovacuum keeps of the tables just filled (the tickets, the articles, the
    # agents with their skills, users, team members, resources and time off), as a live
    # database has them.
    cr.execute(
        "ANALYZE helpdesk_ticket; ANALYZE crm_relational_kb_article; ANALYZE crm_relational_agent;"
        " ANALYZE crm_relational_agent_skill; ANALYZE resource_resource;"
        " ANALYZE resource_calendar_leaves; ANALYZE res_users;"
        " ANALYZE helpdesk_ticket_team_res_users_rel"
    )
    return team, list(zip(ids, articles, strict=True))


def _time_routing(env, team, samples):
    """Seconds to create a routed ticket, the same ticket without routing, and the same
    ticket without routing given an agent by the caller, who follows it without being sent
    an e-mail, as a routed ticket's agent does (helpdesk_mgmt's creation of an assigned
    ticket: what routing itself adds is the difference between the first and the last)."""
    Ticket = env["helpdesk.ticket"]
    arabic = env["res.partner"].create({"name": "Bench customer", "lang": "ar_001"})
    routed, native, assigned = [], [], []
    members = team.user_ids.ids
    for n in range(samples):
        values = {"name": f"Routed {n}", "description": "<p>Help</p>", "team_id": team.id,
                  "partner_id": arabic.id}  # fmt: skip
        for routing, times, agent in (
            (True, routed, {}),
            (False, native, {}),
            (False, assigned, {"user_id": members[n % len(members)]}),
        ):
            team.relational_routing = routing
            env.flush_all()
            started = time.perf_counter()
            # Each its own values (create may change them).
            ticket = Ticket.with_context(mail_auto_subscribe_no_notify=True).create(
                dict(values, **agent)
            )
            env.flush_all()
            times.append(time.perf_counter() - started)
            assert not routing or ticket.user_id, ticket.relational_routing_note
    return routed, native, assigned


def _time_search(env, rng, articles, samples):
    """For ``samples`` searches drawn from the words of random articles (see
    ``kb_articles.query``): seconds and whether the article was among the first five, by our
    full text search (all words), by the ticket suggestions (any word, best first) and by the
    Odoo-native search (every word ``ilike`` the title or the answer)."""
    from odoo.fields import Domain

    Article = env["crm.relational.kb.article"]
    timings = {"fts": [], "suggest": [], "ilike": []}
    found = {"fts": [], "suggest": [], "ilike": []}
    for _n in range(samples):
        article_id, article = rng.choice(articles)
        text = kb_articles.query(rng, article)
        words = text.split()

        def fts(text=text):
            return Article._relational_search(text, limit=5).ids

        def suggest(text=text):
            return [row["id"] for row in Article._relational_matches(text, match_any=True)]

        def ilike(words=words):
            domain = Domain.AND(
                Domain("name", "ilike", word) | Domain("body", "ilike", word) for word in words
            )
            return Article.search(domain, limit=5).ids

        for name, search in (("fts", fts), ("suggest", suggest), ("ilike", ilike)):
            env.invalidate_all()
            started = time.perf_counter()
            ids = search()
            timings[name].append(time.perf_counter() - started)
            found[name].append(article_id in ids)
    return timings, found


def main(argv=None):
    parser = common.parser(__doc__)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument(
        "--open", type=int, help="open tickets (default: 100,000 times the share of --size)"
    )
    parser.add_argument(
        "--articles", type=int, help="articles (default: 10,000 times the share of --size)"
    )
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args(argv)
    # The volume grows with the data set, as the customers' tickets and questions would.
    share = common.SIZES[args.size]
    args.open = round(100_000 * share) if args.open is None else args.open
    args.articles = round(10_000 * share) if args.articles is None else args.articles

    rng = random.Random(7)
    with common.odoo_env(args) as env:
        team, articles = _setup(env, args, rng)
        routed, native, assigned = _time_routing(env, team, args.samples)
        timings, found = _time_search(env, rng, articles, args.samples)
        env.cr.rollback()

    def ms(values, share):
        return round(common.percentile(values, share) * 1000, 2)

    result = {
        "benchmark": "service",
        "agents": args.agents,
        "open_tickets": args.open,
        "articles": args.articles,
        "route_p50_ms": ms(routed, 0.5),
        "route_p95_ms": ms(routed, 0.95),
        "native_create_p50_ms": ms(native, 0.5),
        "native_create_p95_ms": ms(native, 0.95),
        "route_over_native_p95": round(
            common.percentile(routed, 0.95) / common.percentile(native, 0.95), 2
        ),
        "native_assigned_create_p50_ms": ms(assigned, 0.5),
        "native_assigned_create_p95_ms": ms(assigned, 0.95),
        "kb_searches": args.samples,
        "kb_search_p50_ms": ms(timings["fts"], 0.5),
        "kb_search_p95_ms": ms(timings["fts"], 0.95),
        "kb_search_recall_at_5": round(statistics.mean(found["fts"]), 3),
        "kb_suggest_p50_ms": ms(timings["suggest"], 0.5),
        "kb_suggest_p95_ms": ms(timings["suggest"], 0.95),
        "kb_suggest_recall_at_5": round(statistics.mean(found["suggest"]), 3),
        "native_ilike_p50_ms": ms(timings["ilike"], 0.5),
        "native_ilike_p95_ms": ms(timings["ilike"], 0.95),
        "native_ilike_recall_at_5": round(statistics.mean(found["ilike"]), 3),
    }
    common.record("service", result, args)


if __name__ == "__main__":
    main()
