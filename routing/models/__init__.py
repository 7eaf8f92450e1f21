from .tenant import Tenant  # noqa: F401
from .people import AgentSkill, Skill, Team, User  # noqa: F401
from .contact_points import CarrierAccount, Country, PointOfContact, RoutingRule  # noqa: F401
from .rooms import Contact, Message, Room, RoomNote, RoutingDecision  # noqa: F401
from .reports import (AgentReasonDay, AgentReasonFact, AgentStateChange, AgentStateDay, AgentStateFact, RoomDay, RoomFact,  # noqa: F401
                      StateRollupMark)
from .ops import RetentionRun, TranscriptRollup, WorkerBeat  # noqa: F401
from .workspace import CannedResponse, Disposition, UnavailableReason  # noqa: F401
