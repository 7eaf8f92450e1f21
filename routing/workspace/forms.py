"""Forms of the workspace's own pages (the console's hold the tenant-wide configuration)."""
from ..console.forms import CannedResponseForm


class OwnCannedResponseForm(CannedResponseForm):
    """An agent's own canned response: whoever writes it owns it."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.instance.owner = user
        self.fields["shortcut"].help_text = "Letters, digits and hyphens, typed after / in the reply box, for example thanks."
        self.fields["body"].help_text = ("Type / and the shortcut in the reply box to insert it. {contact_name} and {agent_name} "
                                         "are filled in.")
