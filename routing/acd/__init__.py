"""The ACD (R3, R4, R11–R14): routing scripts pick a skill, the engine picks an agent, queues wait
for capacity, offers are accepted, rejected or lapse. Registers the `acd` delivery mode
(routing.acd.handoff) with the text hub.

Modules, from the pure core outwards: `decision` (who gets a room, no database), `capacity` (an
agent's effective limit, the routable flag and the cached counts: their only writer), `candidates`
(the decision's snapshot, one statement), `offers` (routing a room, accepting an offer),
`queues` (dispatch when capacity frees, the queue sweep), `declines` (rejected and lapsed offers),
`agents` (availability), `outbound` (an agent starts a text, R11), `scripts` (routing scripts).
"""
