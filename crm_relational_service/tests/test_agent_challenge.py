from .common import ServiceCase


class TestAgentChallenge(ServiceCase):
    """The monthly agent challenge runs as soon as a helpdesk team exists, and its two goals
    count what their names say for each agent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.challenge = cls.env.ref("crm_relational_service.challenge_service_month")

    def _goal(self, user, definition):
        goal = self.env["gamification.goal"].search(
            [("challenge_id", "=", self.challenge.id), ("user_id", "=", user.id),
             ("definition_id", "=", self.env.ref(f"crm_relational_service.{definition}").id)]
        )  # fmt: skip
        self.assertEqual(len(goal), 1, f"one {definition} goal for {user.login}")
        goal.update_goal()  # what the challenge's daily job does
        return goal

    def test_running_once_a_team_exists(self):
        # The setup's team exists: the shipped challenge is running for every agent.
        self.assertEqual(self.challenge.state, "inprogress")
        # From scratch: a draft challenge that never ran starts with the first new team.
        self.env["gamification.goal"].search([("challenge_id", "=", self.challenge.id)]).unlink()
        self.challenge.state = "draft"
        self.env["helpdesk.ticket.team"].with_user(self.leader).create({"name": "Night shift"})
        self.assertEqual(self.challenge.state, "inprogress")
        self.assertLessEqual(self.agent_a | self.agent_b | self.leader, self.challenge.user_ids)
        goals = self.env["gamification.goal"].search(
            [("challenge_id", "=", self.challenge.id), ("user_id", "=", self.agent_a.id)]
        )
        self.assertEqual(
            sorted(goals.mapped("definition_id.name")),
            ["Tickets rated satisfied", "Tickets solved within their service level"],
        )
        self.assertEqual(sorted(goals.mapped("target_goal")), [10, 20])

    def test_rated_satisfied_goal_counts_good_ratings_of_own_tickets(self):
        self.challenge.action_check()
        ratings = {self.agent_a: (5, 5, 3, 1), self.agent_b: (5,)}
        for agent, stars_list in ratings.items():
            for stars in stars_list:
                ticket = self._ticket(user_id=agent.id)
                ticket.stage_id = self.stage_done
                ticket.rating_apply(stars, token=ticket._rating_get_access_token())
        self._ticket(user_id=self.agent_a.id).stage_id = self.stage_done  # not rated
        self.env.flush_all()
        # Agent A: two tickets rated 5 (3 is "okay", 1 "dissatisfied"); agent B: one.
        self.assertEqual(self._goal(self.agent_a, "goal_definition_satisfied").current, 2)
        self.assertEqual(self._goal(self.agent_b, "goal_definition_satisfied").current, 1)
        self.assertEqual(self._goal(self.leader, "goal_definition_satisfied").current, 0)

    def test_solved_within_level_goal_leaves_out_open_and_other_agents_tickets(self):
        self.challenge.action_check()
        for _n in range(2):
            self._ticket(user_id=self.agent_a.id).stage_id = self.stage_done
        self._ticket(user_id=self.agent_a.id).stage_id = self.stage_progress
        self._ticket(user_id=self.agent_b.id).stage_id = self.stage_done
        self.env.flush_all()
        self.assertEqual(self._goal(self.agent_a, "goal_definition_solved_within_sla").current, 2)
        self.assertEqual(self._goal(self.agent_b, "goal_definition_solved_within_sla").current, 1)
