from odoo import api, fields, models
from odoo.tools import SQL


class CrmRelationalAgent(models.Model):
    """A service agent as routing sees them: skills with levels, and how many open tickets
    they can carry at once."""

    _name = "crm.relational.agent"
    _description = "Service Agent"
    _order = "user_id, id"
    _rec_name = "user_id"

    user_id = fields.Many2one(
        "res.users",
        string="Agent",
        required=True,
        index=True,
        ondelete="cascade",
        domain=[("share", "=", False)],
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="Routing gives the agent the tickets of this company only.",
    )
    active = fields.Boolean(default=True)
    capacity = fields.Integer(
        default=10, help="Open tickets the agent can carry; routing gives them no more."
    )
    skill_ids = fields.One2many("crm.relational.agent.skill", "agent_id", string="Skills")
    last_assigned_at = fields.Datetime(
        string="Last Routed To",
        readonly=True,
        help="When routing last gave the agent a ticket: between agents equally loaded, the one "
        "who waited longest gets the next (round-robin).",
    )
    open_ticket_count = fields.Integer(
        string="Open Tickets",
        compute="_compute_open_ticket_count",
        help="Tickets assigned to the agent and not closed; routing compares it to the capacity.",
    )

    _unique_user = models.Constraint(
        "UNIQUE(user_id, company_id)", "A user is one agent per company."
    )
    _check_capacity = models.Constraint(
        "CHECK(capacity >= 0)", "An agent's capacity cannot be negative."
    )

    @api.depends("user_id", "company_id")
    def _compute_open_ticket_count(self):
        """The agent's open tickets in the agent's company, among those the reader may read
        (an agent who sees only their own tickets is not told how many the others have;
        routing counts them all, see ``crm.relational.routing._open_loads``). One grouped
        count for all the agents."""
        counts = dict.fromkeys(self.ids, 0)
        if self.user_id:
            groups = self.env["helpdesk.ticket"]._read_group(
                [("user_id", "in", self.user_id.ids), ("company_id", "in", self.company_id.ids),
                 ("stage_id.closed", "=", False)],
                ["user_id", "company_id"],
                ["__count"],
            )  # fmt: skip
            by_key = {(user.id, company.id): count for user, company, count in groups}
            for agent in self:
                counts[agent.id] = by_key.get((agent.user_id.id, agent.company_id.id), 0)
        for agent in self:
            agent.open_ticket_count = counts.get(agent.id, 0)

    def init(self):
        # The open tickets each agent carries in their company, kept by the database in the
        # same transaction as the tickets' changes, so routing reads a load per agent instead
        # of counting 100,000 open tickets at every creation. Triggers, not ORM overrides:
        # imports, bulk SQL, archiving and a stage becoming closed all change loads.
        self.env.cr.execute(
            """
            ALTER TABLE crm_relational_agent
                ADD COLUMN IF NOT EXISTS open_ticket_load integer NOT NULL DEFAULT 0;

            -- Whether a ticket row counts in its agent's load (as ``_open_loads`` counts).
            CREATE OR REPLACE FUNCTION crm_relational_ticket_counts(
                ticket_user integer, ticket_stage integer, ticket_active boolean)
                RETURNS boolean AS $$
                SELECT ticket_user IS NOT NULL AND COALESCE(ticket_active, FALSE) AND EXISTS (
                    SELECT 1 FROM helpdesk_ticket_stage s
                     WHERE s.id = ticket_stage AND NOT COALESCE(s.closed, FALSE))
                $$ LANGUAGE sql STABLE;

            CREATE OR REPLACE FUNCTION crm_relational_agent_ticket_load() RETURNS trigger AS $$
            DECLARE
                old_counts boolean := FALSE;
                new_counts boolean := FALSE;
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    old_counts := crm_relational_ticket_counts(
                        OLD.user_id, OLD.stage_id, OLD.active);
                END IF;
                IF TG_OP IN ('UPDATE', 'INSERT') THEN
                    new_counts := crm_relational_ticket_counts(
                        NEW.user_id, NEW.stage_id, NEW.active);
                END IF;
                IF TG_OP = 'UPDATE' AND old_counts AND new_counts
                   AND OLD.user_id = NEW.user_id
                   AND OLD.company_id IS NOT DISTINCT FROM NEW.company_id THEN
                    RETURN NULL;
                END IF;
                IF old_counts THEN
                    UPDATE crm_relational_agent SET open_ticket_load = open_ticket_load - 1
                     WHERE user_id = OLD.user_id AND company_id = OLD.company_id;
                END IF;
                IF new_counts THEN
                    UPDATE crm_relational_agent SET open_ticket_load = open_ticket_load + 1
                     WHERE user_id = NEW.user_id AND company_id = NEW.company_id;
                END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS crm_relational_agent_ticket_load ON helpdesk_ticket;
            CREATE TRIGGER crm_relational_agent_ticket_load
                AFTER INSERT OR DELETE OR UPDATE OF user_id, company_id, stage_id, active
                ON helpdesk_ticket FOR EACH ROW
                EXECUTE FUNCTION crm_relational_agent_ticket_load();

            -- Counted afresh: a new agent (or one given another user or company), and every
            -- agent when a stage becomes closed or open again.
            CREATE OR REPLACE FUNCTION crm_relational_agent_count_load() RETURNS trigger AS $$
            BEGIN
                NEW.open_ticket_load := (
                    SELECT COUNT(*) FROM helpdesk_ticket t
                     WHERE t.user_id = NEW.user_id AND t.company_id = NEW.company_id
                       AND crm_relational_ticket_counts(t.user_id, t.stage_id, t.active));
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS crm_relational_agent_count_load ON crm_relational_agent;
            CREATE TRIGGER crm_relational_agent_count_load
                BEFORE INSERT OR UPDATE OF user_id, company_id ON crm_relational_agent
                FOR EACH ROW EXECUTE FUNCTION crm_relational_agent_count_load();

            CREATE OR REPLACE FUNCTION crm_relational_agent_recount() RETURNS integer AS $$
            DECLARE
                fixed integer;
            BEGIN
                UPDATE crm_relational_agent a SET open_ticket_load = COALESCE(l.load, 0)
                  FROM crm_relational_agent x LEFT JOIN (
                        SELECT t.user_id, t.company_id, COUNT(*) AS load
                          FROM helpdesk_ticket t JOIN helpdesk_ticket_stage s ON s.id = t.stage_id
                         WHERE t.active AND t.user_id IS NOT NULL
                           AND NOT COALESCE(s.closed, FALSE)
                         GROUP BY t.user_id, t.company_id
                       ) l ON l.user_id = x.user_id AND l.company_id = x.company_id
                 WHERE a.id = x.id AND a.open_ticket_load IS DISTINCT FROM COALESCE(l.load, 0);
                GET DIAGNOSTICS fixed = ROW_COUNT;
                RETURN fixed;
            END $$ LANGUAGE plpgsql;
            CREATE OR REPLACE FUNCTION crm_relational_agent_recount_loads() RETURNS trigger AS $$
            BEGIN
                PERFORM crm_relational_agent_recount();
                RETURN NULL;
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS crm_relational_agent_recount_loads ON helpdesk_ticket_stage;
            CREATE TRIGGER crm_relational_agent_recount_loads
                AFTER UPDATE OF closed ON helpdesk_ticket_stage FOR EACH STATEMENT
                EXECUTE FUNCTION crm_relational_agent_recount_loads();
            """
        )
        # At install and upgrade: every agent's load counted once (tickets of earlier
        # versions, or changed while the triggers were not there).
        self._relational_recount_loads()

    @api.model
    def _relational_recount_loads(self):
        """Count every agent's open tickets again from the tickets themselves (the maintained
        ``open_ticket_load`` column); returns how many agents' loads were wrong."""
        self.env.flush_all()
        self.env.cr.execute("SELECT crm_relational_agent_recount()")
        return self.env.cr.fetchone()[0]

    @api.model
    def _sql_error_to_message(self, exc):
        # Skills imported with their agent: the message of the skill line's own constraint
        # ("A skill level is between 1 and 5."), not PostgreSQL's.
        AgentSkill = self.env["crm.relational.agent.skill"]
        if exc.diag.table_name == AgentSkill._table:
            return AgentSkill._sql_error_to_message(exc)
        return super()._sql_error_to_message(exc)

    def _relational_stamp(self, moment):
        """Record that routing gave the agent a ticket at ``moment``; returns the agent's name
        (for the routing note, whoever routes). The update locks the agent's row until the
        end of the transaction: a concurrent transaction that routed to the agent since this
        one began makes it fail to serialize, one still routing to the agent makes it wait,
        so the agent's load read before stays true."""
        self.ensure_one()
        self.flush_recordset(["last_assigned_at"])
        (name,) = self.env.execute_query(
            SQL(
                """UPDATE crm_relational_agent a
                      SET last_assigned_at = %s, write_uid = %s, write_date = %s
                    WHERE a.id = %s
                RETURNING (SELECT p.name FROM res_users u JOIN res_partner p ON p.id = u.partner_id
                            WHERE u.id = a.user_id)""",
                moment,
                self.env.uid,
                self.env.cr.now(),
                self.id,
            )
        )[0]
        self.invalidate_recordset(["last_assigned_at", "write_uid", "write_date"])
        return name
