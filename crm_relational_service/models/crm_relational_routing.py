from collections import Counter, defaultdict
from datetime import UTC, timedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..system_fields import system_env


class CrmRelationalRouting(models.AbstractModel):
    """Skill-based ticket routing: which skills a ticket calls for, which agents of its team
    may take it, and who gets it. New tickets of routing teams are routed as they are
    created (``helpdesk.ticket.create``); a selection of tickets in the background by a
    routing run (``crm.relational.routing.run``)."""

    _name = "crm.relational.routing"
    _description = "Ticket Routing"

    @api.model
    def _route(self, tickets):
        """Give each unassigned ticket of `tickets` of a routing team to the least-loaded agent
        of the team who has its required skills, has room and is working now; round-robin
        between equals; else leave it in the team queue. The chosen agent's row is locked and
        stamped before the ticket is given: a transaction that routed to the same agent since
        this one began makes this one fail to serialize (Odoo retries it on fresh data), so
        two transactions routing at once never fill an agent beyond capacity. Routes in the
        tickets' environment; returns a ``Counter`` of what became of them (see
        ``_route_one``) and of the ``skipped`` ones."""
        routing = self.with_env(tickets.env)
        outcomes = Counter()
        routable = tickets.filtered(
            lambda t: t.team_id.relational_routing and not t.user_id and not t.closed
        )
        for ticket in routable:
            outcomes[routing._route_one(ticket)] += 1
        outcomes["skipped"] += len(tickets) - len(routable)
        return outcomes

    @api.model
    def _route_one(self, ticket):
        """Route `ticket` (see ``_route``); what became of it: ``routed``, or why it stayed in
        the queue: ``no_skills``, ``not_working`` or ``full``. The same few queries whatever
        the number of agents: the qualified agents of the team, their working hours, the open
        tickets of those working, the lock of the chosen one."""
        ticket.ensure_one()
        required = ticket.relational_required_skill_ids
        # Qualified: the agent's level reaches the minimum of every skill the ticket requires.
        domain = Domain("user_id", "in", ticket.team_id.user_ids.ids) & Domain(
            "company_id", "=", ticket.company_id.id
        )
        for skill in required:
            level = Domain("skill_id", "=", skill.id) & Domain("level", ">=", skill.min_level)
            domain &= Domain("skill_ids", "any", level)
        # sudo: routing reads every agent of the team (user, capacity, last routed to, skill
        # levels), whatever the creator of the ticket sees; only the chosen one is named.
        Agent = self.env["crm.relational.agent"].sudo()
        qualified = Agent.search_fetch(
            domain, ["user_id", "capacity", "last_assigned_at"], order="id"
        )
        working_ids = set(self._working(ticket.team_id, qualified.user_id).ids)
        working = qualified.filtered(lambda agent: agent.user_id.id in working_ids)
        loads = self._open_loads(working.user_id.ids, ticket.company_id)
        free = working.filtered(lambda agent: loads.get(agent.user_id.id, 0) < agent.capacity)
        names = ", ".join(required.mapped("name")) or self.env._("none")
        if not free:
            outcome = "full" if working else "not_working" if qualified else "no_skills"
            system_env(ticket).relational_routing_note = self.env._(
                "Left in the %(team)s queue: no agent with the skills (%(skills)s) is working "
                "now with room (%(qualified)s qualified, %(working)s working).",
                team=ticket.team_id.name, skills=names,
                qualified=len(qualified), working=len(working),
            )  # fmt: skip
            return outcome
        epoch = fields.Datetime.from_string("1970-01-01")
        chosen = min(
            free,
            key=lambda agent: (loads.get(agent.user_id.id, 0),
                               agent.last_assigned_at or epoch, agent.id),
        )  # fmt: skip
        chosen._relational_stamp(fields.Datetime.now())
        system_env(ticket).write(
            {
                "user_id": chosen.user_id.id,
                "relational_routing_note": self.env._(
                    "Routed to %(agent)s: has the skills (%(skills)s), is working now and "
                    "carried %(load)s of %(capacity)s tickets, the fewest of the %(count)s "
                    "agents able to take it.",
                    agent=chosen.user_id.name, skills=names, load=loads.get(chosen.user_id.id, 0),
                    capacity=chosen.capacity, count=len(free),
                ),
            }
        )  # fmt: skip
        return "routed"

    @api.model
    def _requires(self, ticket, skill):
        """Whether `ticket`'s language, channel or product calls for ``skill``."""
        if skill.company_id and skill.company_id != ticket.company_id:
            return False
        if skill.skill_type == "language":
            return bool(ticket.partner_id.lang) and skill.lang == ticket.partner_id.lang
        if skill.skill_type == "channel":
            return bool(ticket.channel_id) and skill.channel_id == ticket.channel_id
        category = ticket.product_id.categ_id
        return bool(category) and category.parent_path.startswith(
            skill.product_category_id.parent_path
        )

    @api.model
    def _open_loads(self, user_ids, company):
        """{user id: open tickets assigned in ``company``}, read afresh from the database: one
        grouped count over the tickets of ``user_ids`` of that company that are active and in a
        stage that is not closed. An agent's load in one company is not their load in another
        (each company has its own agent record and capacity)."""
        if not user_ids:
            return {}
        self.env["helpdesk.ticket"].flush_model(["user_id", "stage_id", "active", "company_id"])
        self.env["helpdesk.ticket.stage"].flush_model(["closed"])
        in_company = (
            SQL("t.company_id = %s", company.id) if company else SQL("t.company_id IS NULL")
        )
        self.env.cr.execute(
            SQL(
                """
            SELECT t.user_id, COUNT(*)
              FROM helpdesk_ticket t
             WHERE t.user_id = ANY(%s) AND %s AND t.active
               AND t.stage_id = ANY(ARRAY(SELECT s.id FROM helpdesk_ticket_stage s
                                           WHERE NOT COALESCE(s.closed, FALSE)))
             GROUP BY t.user_id
                """,
                list(user_ids),
                in_company,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _working(self, team, users, moment=None):
        """The ``users`` who work at ``moment`` (now): by their own working hours and time off
        if they have any, else `team`'s (public holidays included); no hours, always. One
        computation per calendar, whatever the number of agents."""
        start = (moment or fields.Datetime.now()).replace(tzinfo=UTC)
        working_ids = []
        by_calendar = defaultdict(list)
        team_calendar = team.resource_calendar_id
        for user in users:
            # The first resource, read with those of all ``users`` (a slice would read alone).
            resource = next(iter(user.resource_ids), user.resource_ids)
            calendar = resource.calendar_id or team_calendar
            if calendar:
                by_calendar[calendar].append((user.id, resource))
            else:
                working_ids.append(user.id)
        for calendar, members in by_calendar.items():
            resources = self.env["resource.resource"].concat(*(r for _u, r in members))
            intervals = calendar._work_intervals_batch(
                start, start + timedelta(minutes=1), resources=resources
            )
            working_ids.extend(user_id for user_id, r in members if list(intervals[r.id]))
        return users.browse(working_ids)
