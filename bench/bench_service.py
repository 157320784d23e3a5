"""Benchmark: skills-based routing and knowledge base search at volume.

    python3 -m bench.bench_service -c ODOO_CONF -d DB [--size large] [--agents 200]
                                   [--open 100000] [--articles 10000] [--samples 200]

Inside one transaction that is rolled back: a routing team of ``--agents`` agents with
language, channel and product skills, ``--open`` open tickets spread over them (bulk SQL), and
``--articles`` knowledge base articles in English, Arabic and Persian. Then times creating
``--samples`` tickets routed to the least-loaded qualified agent working now, next to creating
the same tickets the Odoo-native way (helpdesk_mgmt, no routing), and ``--samples`` searches of
the knowledge base by full text next to the Odoo-native ``ilike`` search on title and body.
Prints p50/p95 of each and appends a JSON line to bench/results/<size>/service.json.
"""

import random
import statistics
import time

from . import common

WORDS = {
    "en_US": "lamp switch bulb dimmer invoice payment delivery late broken colour cable "
    "warranty return refund order battery charger screen remote socket".split(),
    "ar_001": "مصباح مفتاح فاتورة دفع توصيل متأخر مكسور لون سلك ضمان إرجاع طلب بطارية شاحن "
    "شاشة".split(),
    "fa_IR": "لامپ کلید فاکتور پرداخت ارسال دیر شکسته رنگ کابل گارانتی مرجوعی سفارش باتری "
    "شارژر صفحه".split(),
}


SYLLABLES = {
    "en_US": "ka lo mi ter san dor vel pri con sta ble ment ing",
    "ar_001": "كا لو مي تر سا دو فل بر كن ست بل من ين",
    "fa_IR": "کا لو می تر سا دو ول پر کن ست بل من ین",
}


def _vocabulary(rng, size=3000):
    """Per language, the meaningful words and ``size`` made-up ones, so searches are as
    selective as in a real knowledge base."""
    vocabulary = {}
    for lang, words in WORDS.items():
        syllables = SYLLABLES[lang].split()
        made_up = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _n in range(size)}
        vocabulary[lang] = words + sorted(made_up)
    return vocabulary


def _setup(env, args, rng):
    from odoo.tools import SQL

    cr = env.cr
    for lang in ("ar_001", "fa_IR"):
        env["res.lang"]._activate_lang(lang)
    users = env["res.users"].create(
        [{"name": f"Bench agent {n}", "login": f"bench_agent_{n}_{rng.random()}",
          "group_ids": [(6, 0, env.ref("helpdesk_mgmt.group_helpdesk_user_own").ids)]}
         for n in range(args.agents)]
    )  # fmt: skip
    team = env["helpdesk.ticket.team"].create(
        {"name": "Bench routing", "relational_routing": True, "resource_calendar_id": False,
         "user_ids": [(6, 0, users.ids)]}
    )  # fmt: skip
    Skill = env["crm.relational.skill"]
    phone = env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
    skills = Skill.create(
        [{"name": "Bench Arabic", "skill_type": "language", "lang": "ar_001", "min_level": 2},
         {"name": "Bench Persian", "skill_type": "language", "lang": "fa_IR", "min_level": 2},
         {"name": "Bench phone", "skill_type": "channel", "channel_id": phone.id}]
    )  # fmt: skip
    env["crm.relational.agent"].create(
        [{"user_id": user.id, "capacity": 10_000,
          "skill_ids": [(0, 0, {"skill_id": skill.id, "level": rng.randint(1, 5)})
                        for skill in skills if rng.random() < 0.6]}
         for user in users]
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
    languages = list(WORDS)
    vocabulary = _vocabulary(rng)
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
            """,
            state_column=SQL(", state") if published else SQL(""),
            state=SQL(", 'published'") if published else SQL(""),
            names=[
                " ".join(rng.sample(vocabulary[languages[n % 3]], 4)) + f" {n}"
                for n in range(args.articles)
            ],
            bodies=[
                "<p>" + " ".join(rng.choices(vocabulary[languages[n % 3]], k=60)) + "</p>"
                for n in range(args.articles)
            ],
            langs=[languages[n % 3] for n in range(args.articles)],
        )
    )
    cr.execute("ANALYZE helpdesk_ticket; ANALYZE crm_relational_kb_article")
    return team


def _time_routing(env, team, samples):
    """Seconds to create a routed ticket, and the same ticket without routing."""
    Ticket = env["helpdesk.ticket"]
    arabic = env["res.partner"].create({"name": "Bench customer", "lang": "ar_001"})
    routed, native = [], []
    for n in range(samples):
        values = {"name": f"Routed {n}", "description": "<p>Help</p>", "team_id": team.id,
                  "partner_id": arabic.id}  # fmt: skip
        for routing, times in ((True, routed), (False, native)):
            team.relational_routing = routing
            env.flush_all()
            started = time.perf_counter()
            ticket = Ticket.create(values)
            env.flush_all()
            times.append(time.perf_counter() - started)
            assert not routing or ticket.user_id, ticket.relational_routing_note
    return routed, native


def _time_search(env, rng, samples):
    """Seconds of a full text search, of the native ilike search, and the hits found."""
    Article = env["crm.relational.kb.article"]
    fts, ilike, hits = [], [], []
    for n in range(samples):
        words = rng.sample(WORDS[list(WORDS)[n % 3]], 2)
        env.invalidate_all()
        started = time.perf_counter()
        hits.append(len(Article._relational_search(" ".join(words), limit=10)))
        fts.append(time.perf_counter() - started)
        env.invalidate_all()
        started = time.perf_counter()
        Article.search(
            ["&", "|", ("name", "ilike", words[0]), ("body", "ilike", words[0]),
             "|", ("name", "ilike", words[1]), ("body", "ilike", words[1])], limit=10
        )  # fmt: skip
        ilike.append(time.perf_counter() - started)
    return fts, ilike, hits


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
        team = _setup(env, args, rng)
        routed, native = _time_routing(env, team, args.samples)
        fts, ilike, hits = _time_search(env, rng, args.samples)
        env.cr.rollback()

    result = {
        "benchmark": "service",
        "agents": args.agents,
        "open_tickets": args.open,
        "articles": args.articles,
        "route_p50_ms": round(statistics.median(routed) * 1000, 1),
        "route_p95_ms": round(common.percentile(routed, 0.95) * 1000, 1),
        "native_create_p50_ms": round(statistics.median(native) * 1000, 1),
        "native_create_p95_ms": round(common.percentile(native, 0.95) * 1000, 1),
        "kb_search_p50_ms": round(statistics.median(fts) * 1000, 2),
        "kb_search_p95_ms": round(common.percentile(fts, 0.95) * 1000, 2),
        "kb_hits_p50": statistics.median(hits),
        "native_ilike_p50_ms": round(statistics.median(ilike) * 1000, 2),
        "native_ilike_p95_ms": round(common.percentile(ilike, 0.95) * 1000, 2),
    }
    common.record("service", result, args)


if __name__ == "__main__":
    main()
