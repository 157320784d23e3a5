"""A recompute killed half-way (a real process, SIGKILL) leaves consistent data, and the next
run finishes the job where it stopped; two runs started at once do the work once."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from odoo_process import (
    ROOT,
    database_copy,
    new_database,
    odoo_conf,
    odoo_shell,
    query,
    template_for_copies,
)

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import sys, threading
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    conf, db = sys.argv[1:3]
    config.parse_config(["-c", conf, "-d", db, "--no-http", "--log-level=warn"])
    threading.current_thread().dbname = db
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        # As a cron worker (or "Run Manually") runs the job: committing after each batch.
        result = env.ref("crm_relational.ir_cron_recompute_profiles").method_direct_trigger()
        if result is not True:
            sys.exit(f"the job failed: {result}")
    """
)


def _run_row(db, run_id=None):
    """The latest full run (or run ``run_id``): id, state, customers done, customers."""
    rows = query(
        db,
        "SELECT id, state, done_count, customer_count FROM crm_relational_run"
        " WHERE mode = 'full' AND (%s IS NULL OR id = %s) ORDER BY id DESC LIMIT 1",
        (run_id, run_id),
    )
    return rows[0] if rows else None


def _recompute(db):
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, odoo_conf(), db],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_killed_recompute_resumes_and_finishes():
    with database_copy("crmrel_killed") as db:
        # One customer per batch, so the run commits often and can be caught half-way.
        query(db, "DELETE FROM ir_config_parameter WHERE key = 'crm_relational.batch_size'")
        query(
            db,
            "INSERT INTO ir_config_parameter (key, value)"
            " VALUES ('crm_relational.batch_size', '1')",
        )
        before = _run_row(db)
        started = time.monotonic()
        process = _recompute(db)
        caught = None
        while process.poll() is None and time.monotonic() - started < 300:
            row = _run_row(db)
            if row and row != before and row[1] == "running" and 0 < row[2] < row[3]:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                caught = row
                break
            time.sleep(0.02)
        assert caught, f"the run was not caught half-way: {process.communicate()[0][-2000:]}"
        run_id, _state, _done, total = caught
        # What was committed is whole: the run says how far it got, its profiles are there.
        _id, state, done, total_after = _run_row(db, run_id)
        assert (state, total_after) == ("running", total)
        assert 0 < done < total
        # The next run carries on with the same run and finishes it.
        again = _recompute(db)
        output = again.communicate(timeout=600)[0]
        assert again.returncode == 0, output[-2000:]
        assert _run_row(db, run_id) == (run_id, "done", total, total)
        computed = query(
            db,
            "SELECT count(*) FROM crm_relational_profile p JOIN crm_relational_run r"
            " ON r.id = %s AND p.company_id = r.company_id AND p.computed_at >= r.started_at",
            (run_id,),
        )[0][0]
        assert computed == total


# ---------------------------------------------------------------------- scheduled jobs

JOB = textwrap.dedent(
    """
    import sys, threading, time
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    conf, db, xmlid, mode = sys.argv[1:5]
    config.parse_config(["-c", conf, "-d", db, "--no-http", "--log-level=warn"])
    threading.current_thread().dbname = db
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cron = env.ref(xmlid)
        if mode == "scheduler":
            # As a cron worker (or "Run Manually") runs it: the job's row locked meanwhile.
            result = cron.method_direct_trigger()
            if result is not True:
                sys.exit(f"the job failed: {result}")
        else:
            # The job's action in a worker of its own, with its progress record but without
            # the scheduler's lock on the job's row: only the addon's own lock keeps it out.
            cron = cron.with_context(cron_id=cron.id, cron_end_time=time.monotonic() + 600)
            cron, _progress = cron._add_progress()
            cr.commit()
            cron._callback(cron.cron_name, cron.ir_actions_server_id.id)
    """
)


def _job(db, xmlid, mode="scheduler"):
    """The scheduled action ``xmlid`` run in a new Odoo process."""
    return subprocess.Popen(
        [sys.executable, "-c", JOB, odoo_conf(), db, xmlid, mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process):
    output = process.communicate(timeout=600)[0]
    assert process.returncode == 0, output[-3000:]
    return output


def _kill_half_way(process, probe):
    """SIGKILL ``process`` as soon as ``probe()`` returns a row (the run caught half-way)."""
    started = time.monotonic()
    while process.poll() is None and time.monotonic() - started < 300:
        row = probe()
        if row:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return row
        time.sleep(0.02)
    raise AssertionError(f"the run was not caught half-way: {process.communicate()[0][-2000:]}")


def _shell(db, script):
    code, out, err = odoo_shell(db, textwrap.dedent(script))
    assert code == 0 and "OK" in out, (out + err)[-3000:]
    return out


def _worker_progress(db, xmlid):
    """Items each run of the job reported done, oldest first."""
    rows = query(
        db,
        "SELECT p.done FROM ir_cron_progress p JOIN ir_model_data d ON d.res_id = p.cron_id"
        " AND d.model = 'ir.cron' AND d.module || '.' || d.name = %s ORDER BY p.id",
        (xmlid,),
    )
    return [row[0] for row in rows]


def _notifications(db, title):
    """The bus notifications titled ``title``: (channel, payload)."""
    rows = query(db, "SELECT channel, message FROM bus_bus WHERE message LIKE '%notification%'")
    notices = [(channel, json.loads(message)) for channel, message in rows]
    return [
        (channel, message["payload"])
        for channel, message in notices
        if message.get("type") == "simple_notification" and message["payload"]["title"] == title
    ]


# ---------------------------------------------------------------------- bulk routing

ROUTING_JOB = "crm_relational_service.ir_cron_route_tickets"
ROUTING_SETUP = """
    from odoo import Command

    Users = env["res.users"].with_context(no_reset_password=True)
    def user(login, group):
        return Users.create({"name": login.replace("_", " ").title(), "login": login,
                             "group_ids": [Command.link(env.ref(group).id)]})
    leader = user("night_leader", "helpdesk_mgmt.group_helpdesk_manager")
    phone_agent, web_agent, junior = (
        user(f"night_{name}", "helpdesk_mgmt.group_helpdesk_user_own")
        for name in ("phone", "web", "junior")
    )
    channels = {name: env.ref(f"helpdesk_mgmt.helpdesk_ticket_channel_{name}")
                for name in ("phone", "web", "email")}
    Skill = env["crm.relational.skill"]
    Skill.search([]).action_archive()  # this test's skill catalogue only
    skills = {name: Skill.create({"name": name.title(), "skill_type": "channel",
                                  "channel_id": channel.id, "min_level": 2})
              for name, channel in channels.items()}
    for agent, capacity, levels in ((phone_agent, 8, {"phone": 3}), (web_agent, 6, {"web": 2}),
                                    (junior, 20, {"phone": 1, "web": 1})):
        env["crm.relational.agent"].create({
            "user_id": agent.id, "capacity": capacity,
            "skill_ids": [Command.create({"skill_id": skills[name].id, "level": level})
                          for name, level in levels.items()]})
    # No working hours: everyone works around the clock.
    team = env["helpdesk.ticket.team"].create({
        "name": "Night Shift", "user_id": leader.id, "resource_calendar_id": False,
        "user_ids": [Command.set((leader | phone_agent | web_agent | junior).ids)]})
    customer = env["res.partner"].create({"name": "Orchard Supplies", "is_company": True})
    kinds = ("phone", "phone", "web", "email")
    tickets = env["helpdesk.ticket"].create([
        {"name": f"Request {n}", "description": "<p>Please call back.</p>", "team_id": team.id,
         "partner_id": customer.id, "user_id": False, "channel_id": channels[kinds[n % 4]].id}
        for n in range(40)])  # created before the team routes: waiting in its queue
    assert not tickets.user_id and not any(tickets.mapped("relational_routing_note"))
    team.relational_routing = True
    # One ticket per batch, so the run commits often and can be caught half-way.
    env["ir.config_parameter"].set_param("crm_relational_service.routing_batch_size", "1")
    env["crm.relational.routing.run"].with_user(leader)._start(tickets, team)
    env.cr.commit()
    print("OK")
"""


@pytest.fixture(scope="module")
def routing_db():
    """A database with 40 phone, web and e-mail tickets waiting in a routing team's queue, and
    a bulk routing of them queued by its leader."""
    with new_database("crmrel_routing_base", template=template_for_copies()) as db:
        _shell(db, ROUTING_SETUP)
        yield db


def _routing_run(db):
    """id, state, done, total, last ticket done, and the counts by outcome of the run."""
    rows = query(
        db,
        "SELECT id, state, done_count, total_count, last_ticket_id, routed_count, full_count,"
        " no_skills_count, not_working_count, skipped_count FROM crm_relational_routing_run",
    )
    assert len(rows) == 1, rows
    return rows[0]


def _routing_expected(db):
    """{ticket id: login of its agent, or 'full' / 'no_skills'}, worked out by hand: phone
    calls go to the phone agent (the junior's level 1 is below the skill's minimum of 2) until
    his 8 tickets, web chats to the web agent until her 6, and nobody handles e-mail."""
    tickets = query(
        db,
        "SELECT t.id, d.name FROM crm_relational_routing_run_ticket_rel r"
        " JOIN helpdesk_ticket t ON t.id = r.ticket_id"
        " JOIN ir_model_data d ON d.model = 'helpdesk.ticket.channel' AND d.res_id = t.channel_id"
        " ORDER BY t.id",
    )
    room = {"phone": 8, "web": 6}
    expected = {}
    for ticket_id, channel in tickets:
        kind = channel.removeprefix("helpdesk_ticket_channel_")
        if kind == "email":
            expected[ticket_id] = "no_skills"
        elif room[kind]:
            room[kind] -= 1
            expected[ticket_id] = f"night_{kind}"
        else:
            expected[ticket_id] = "full"
    return expected


def _routing_outcomes(db):
    """{ticket id: (login of its agent or None, routing note, assignments tracked)} of the
    run's tickets."""
    rows = query(
        db,
        "SELECT t.id, u.login, t.relational_routing_note,"
        " (SELECT count(*) FROM mail_tracking_value v"
        "    JOIN mail_message m ON m.id = v.mail_message_id"
        "    JOIN ir_model_fields f ON f.id = v.field_id AND f.name = 'user_id'"
        "   WHERE m.model = 'helpdesk.ticket' AND m.res_id = t.id)"
        " FROM crm_relational_routing_run_ticket_rel r"
        " JOIN helpdesk_ticket t ON t.id = r.ticket_id LEFT JOIN res_users u ON u.id = t.user_id",
    )
    return {row[0]: row[1:] for row in rows}


def _check_routed(db, expected, done_up_to):
    """The tickets up to ``done_up_to`` routed as worked out by hand, each assignment made and
    tracked once; the others untouched; nobody above capacity."""
    for ticket_id, (login, note, tracked) in _routing_outcomes(db).items():
        outcome = expected[ticket_id]
        if ticket_id > done_up_to:
            assert (login, note, tracked) == (None, None, 0), ticket_id
        elif outcome.startswith("night_"):
            assert (login, tracked) == (outcome, 1), ticket_id
            assert note.startswith("Routed to Night"), note
        else:
            assert (login, tracked) == (None, 0), ticket_id
            assert note.startswith("Left in the Night Shift queue"), note
    loads = dict(
        query(
            db,
            "SELECT u.login, a.capacity - count(t.id) FROM crm_relational_agent a"
            " JOIN res_users u ON u.id = a.user_id LEFT JOIN helpdesk_ticket t"
            " ON t.user_id = a.user_id AND t.active WHERE u.login LIKE 'night_%'"
            " GROUP BY u.login, a.capacity",
        )
    )
    assert min(loads.values()) >= 0, loads


def _check_routing_done(db, run_id, expected):
    counts = [sum(1 for outcome in expected.values() if outcome.startswith("night_"))]
    counts += [sum(1 for outcome in expected.values() if outcome == key)
               for key in ("full", "no_skills")]  # fmt: skip
    assert counts == [14, 16, 10]
    assert _routing_run(db) == (run_id, "done", 40, 40, max(expected), *counts, 0, 0)
    _check_routed(db, expected, max(expected))
    # The leader is told once, with the counts.
    notices = _notifications(db, "Ticket routing finished")
    assert len(notices) == 1, notices
    channel, payload = notices[0]
    leader = query(db, "SELECT partner_id FROM res_users WHERE login = 'night_leader'")[0][0]
    assert json.loads(channel)[1:] == ["res.partner", leader]
    assert payload["message"].startswith("14 of 40 tickets routed, 26 left unassigned.")


def test_killed_routing_resumes_and_routes_each_ticket_once(routing_db):
    with new_database("crmrel_routing_killed", template=routing_db) as db:
        expected = _routing_expected(db)
        assert len(expected) == 40
        process = _job(db, ROUTING_JOB)

        def half_way():
            row = _routing_run(db)
            return row if row[1] == "running" and 0 < row[2] < row[3] else None

        run_id, *_caught = _kill_half_way(process, half_way)
        # What was committed is whole: the run's counts are those of the tickets it did, in
        # id order, each routed as worked out; the tickets after the last one done are
        # untouched, and the run is still unfinished.
        _id, state, done, total, last, *counts = _routing_run(db)
        assert state == "running" and 0 < done < total == 40
        assert sum(counts) == done
        assert last == sorted(expected)[done - 1]
        _check_routed(db, expected, last)
        assert not _notifications(db, "Ticket routing finished")
        # The next job carries on after the last ticket done and finishes the run.
        _finish(_job(db, ROUTING_JOB))
        _check_routing_done(db, run_id, expected)


def test_two_routing_jobs_at_once_route_each_ticket_once(routing_db):
    with new_database("crmrel_routing_twice", template=routing_db) as db:
        expected = _routing_expected(db)
        run_id = _routing_run(db)[0]
        workers = [_job(db, ROUTING_JOB, mode="worker") for _n in range(2)]
        for worker in workers:
            _finish(worker)
        _check_routing_done(db, run_id, expected)
        # One worker took the run's lock and routed all 40 tickets; the other found it taken.
        assert sorted(_worker_progress(db, ROUTING_JOB)) == [0, 40]


# ---------------------------------------------------------------------- forecast backtest

BACKTEST_JOB = "crm_relational_sfa.ir_cron_forecast_backtest"
BACKTEST_SETUP = """
    import json, random
    from datetime import datetime, timedelta
    from odoo import Command, fields
    from odoo.tools import SQL

    company = env["res.company"].create({"name": "Backtest Trading",
                                         "sfa_forecast_period": "month"})
    manager = env["res.users"].with_context(no_reset_password=True).create({
        "name": "Backtest Manager", "login": "backtest_manager", "company_id": company.id,
        "company_ids": [Command.set(company.ids)],
        "group_ids": [Command.link(env.ref("crm_relational_sfa.group_manager").id)]})
    team = env["crm.team"].create({"name": "Backtest Team", "company_id": company.id})
    customer = env["res.partner"].create({"name": "Backtest Customer", "is_company": True})
    stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")[:3]
    rng = random.Random(7)
    today = datetime.combine(fields.Date.today(), datetime.min.time())
    # A year of closed opportunities: every month replayed has won and lost ones before it.
    leads = env["crm.lead"].create([
        {"name": f"History {n}", "type": "opportunity", "company_id": company.id,
         "user_id": manager.id, "team_id": team.id, "partner_id": customer.id,
         "expected_revenue": rng.choice((500, 1000, 5000)), "stage_id": stages[n % 3].id,
         "date_deadline": (today - timedelta(days=rng.randrange(20, 380))).date()}
        for n in range(300)])
    won = leads.filtered(lambda lead: rng.random() < 0.15 + 0.3 * (lead.id % 3))
    won.action_set_won()
    (leads - won).action_set_lost()
    env.flush_all()
    for lead in leads:
        created = today - timedelta(days=rng.randrange(30, 400))
        closed = min(created + timedelta(days=rng.randrange(10, 60)), today - timedelta(days=1))
        env.cr.execute(SQL("UPDATE crm_lead SET create_date = %s, date_closed = %s"
                           " WHERE id = %s", created, closed, lead.id))
    env.invalidate_all()
    Backtest = env["crm.relational.forecast.backtest"].with_user(manager).with_company(company)
    run = Backtest.browse(Backtest.action_start()["res_id"])
    env.cr.commit()
    # The same periods replayed at once, without the job, to compare with.
    rows = env["crm.relational.forecast.backtest"].with_company(company)._backtest(
        company, run.period_count, run.period_type, run.as_of)
    print("OK", json.dumps(rows, default=str))
"""
ROW_KEYS = {
    "start", "end", "open", "actual", "forecast", "p10", "p90", "odoo", "brier", "brier_odoo",
    "brier_base", "scored", "hits", "periods",
}  # fmt: skip


@pytest.fixture(scope="module")
def backtest_db():
    """A company with a year of won and lost opportunities and a backtest of its last six
    months queued by its manager; and the six rows a direct replay of them gives."""
    with new_database("crmrel_backtest_base", template=template_for_copies()) as db:
        output = _shell(db, BACKTEST_SETUP)
        rows = json.loads(output.split("OK ", 1)[1].splitlines()[0])
        assert len(rows) == 6 and ROW_KEYS <= set(rows[0]), rows
        yield db, rows


def _backtest_run(db):
    rows = query(
        db,
        "SELECT id, state, done_count, period_count, rows, replayed_count, mae, brier,"
        " message, finished_at FROM crm_relational_forecast_backtest",
    )
    assert len(rows) == 1, rows
    return rows[0]


def _same_rows(rows, expected):
    assert [(row["start"], row["end"]) for row in rows] == [
        (row["start"], row["end"]) for row in expected
    ]
    for row, replayed in zip(rows, expected, strict=True):
        assert set(row) == set(replayed)
        periods, replayed_periods = row.pop("periods"), replayed.pop("periods")
        assert row == pytest.approx(replayed), row["start"]
        assert len(periods) == len(replayed_periods)
        for period, replayed_period in zip(periods, replayed_periods, strict=True):
            assert period == pytest.approx(replayed_period), row["start"]
        row["periods"], replayed["periods"] = periods, replayed_periods


def _check_backtest_done(db, run_id, expected):
    _id, state, done, periods, rows, replayed, mae, brier, message, finished = _backtest_run(db)
    assert (_id, state, done, periods, replayed) == (run_id, "done", 6, 6, 6)
    _same_rows(rows, expected)
    assert finished
    assert mae == pytest.approx(sum(abs(r["forecast"] - r["actual"]) for r in rows) / 6, abs=0.01)
    scored = sum(r["scored"] for r in rows)
    assert brier == pytest.approx(sum(r["brier"] * r["scored"] for r in rows) / scored, abs=1e-4)
    assert message.startswith("Backtest of 6 cutoffs finished.")
    notices = _notifications(db, "Sales Forecast Backtest")
    assert len(notices) == 1, notices
    assert notices[0][1]["message"] == message


def test_killed_backtest_resumes_and_replays_each_period_once(backtest_db):
    base, expected = backtest_db
    with new_database("crmrel_backtest_killed", template=base) as db:
        process = _job(db, BACKTEST_JOB)

        def half_way():
            row = _backtest_run(db)
            return row if row[1] == "running" and 0 < row[2] < row[3] else None

        run_id, *_caught = _kill_half_way(process, half_way)
        # The periods committed are whole rows, the first ones in order, and nothing else
        # moved: no measures, no message, nobody told yet.
        _id, state, done, periods, rows, *measures = _backtest_run(db)
        assert state == "running" and 0 < done < periods == 6
        _same_rows(rows, expected[:done])
        replayed, mae, _brier, message, finished = measures
        assert not replayed and not mae and message is None and finished is None
        assert not _notifications(db, "Sales Forecast Backtest")
        # The next job replays the periods left, none twice, and finishes the run.
        _finish(_job(db, BACKTEST_JOB))
        _check_backtest_done(db, run_id, expected)


def test_two_backtest_jobs_at_once_replay_each_period_once(backtest_db):
    base, expected = backtest_db
    with new_database("crmrel_backtest_twice", template=base) as db:
        run_id = _backtest_run(db)[0]
        workers = [_job(db, BACKTEST_JOB, mode="worker") for _n in range(2)]
        for worker in workers:
            _finish(worker)
        _check_backtest_done(db, run_id, expected)
        # One worker took the company's lock and replayed the six periods; the other found it
        # taken.
        assert sorted(_worker_progress(db, BACKTEST_JOB)) == [0, 6]
