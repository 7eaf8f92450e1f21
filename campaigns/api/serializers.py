from rest_framework import serializers

from routing import selectors as routing_selectors
from routing.api.base import ScopedPrimaryKeyRelatedField, ServiceModelSerializer
from routing.models import PointOfContact

from .. import rules, selectors, services
from ..models import Campaign, ContactList, ContactListEntry

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


class ContactListSerializer(serializers.ModelSerializer):
    percent = serializers.SerializerMethodField(help_text="How far the import has read the upload (100 once imported).")

    class Meta:
        model = ContactList
        fields = ["id", "name", "phone_column", "country", "state", "rows", "accepted", "duplicates", "rejected", "errors", "columns",
                  "created_at", "file_size", "file_done", "percent"]
        read_only_fields = fields
        extra_kwargs = {"file_size": {"help_text": "Bytes of the upload being imported (or last imported)."},
                        "file_done": {"help_text": "Bytes of it the import has read so far."}}

    def get_percent(self, obj) -> int:
        return selectors.import_percent(obj)


class ContactListUploadSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    file = serializers.FileField()
    phone_column = serializers.CharField(max_length=100, required=False, default="phone")
    point_of_contact = ScopedPrimaryKeyRelatedField(selector=routing_selectors.points_of_contact_for, queryset=PointOfContact.objects.all(),
                                                    required=False, allow_null=True,
                                                    help_text="Its country is the default for numbers written without +country code.")


class ContactListAppendSerializer(serializers.Serializer):
    file = serializers.FileField()


class EntrySerializer(serializers.ModelSerializer):
    opted_out = serializers.BooleanField(read_only=True)

    class Meta:
        model = ContactListEntry
        fields = ["id", "number", "fields", "opted_out", "line"]


class CampaignSerializer(ServiceModelSerializer):
    point_of_contact = ScopedPrimaryKeyRelatedField(selector=routing_selectors.points_of_contact_for, queryset=PointOfContact.objects.all())
    contact_list = ScopedPrimaryKeyRelatedField(selector=selectors.contact_lists_for, queryset=ContactList.objects.all())
    window_start = serializers.TimeField(format="%H:%M", input_formats=TIME_FORMATS, required=False)
    window_end = serializers.TimeField(format="%H:%M", input_formats=TIME_FORMATS, required=False)
    days = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), required=False, max_length=7)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "point_of_contact", "contact_list", "template", "append_opt_out", "start_at", "window_start", "window_end",
                  "days", "rate", "state", "progress", "created_at", "started_at", "finished_at"]
        read_only_fields = ["state", "created_at", "started_at", "finished_at"]

    def get_progress(self, obj) -> dict:
        return selectors.progress(obj) if obj.pk else None

    def save_instance(self, instance, **extra):
        return services.campaign_save(campaign=instance)


class RecipientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField(source="status")
    sent_at = serializers.DateTimeField()
    error = serializers.CharField()


class PreviewSerializer(serializers.Serializer):
    contact_list = ScopedPrimaryKeyRelatedField(selector=selectors.contact_lists_for, queryset=ContactList.objects.all())
    template = serializers.CharField(allow_blank=True, trim_whitespace=False)
    append_opt_out = serializers.BooleanField(default=True)


class SendRateSerializer(serializers.Serializer):
    point_of_contact = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    code_type = serializers.CharField()
    default_rate = serializers.SerializerMethodField()
    rate = serializers.SerializerMethodField()
    effective_rate = serializers.SerializerMethodField()

    def _own(self, poc):
        return getattr(getattr(poc, "send_rate", None), "rate", None)

    def get_default_rate(self, poc) -> float:
        return rules.send_rate(poc.code_type)

    def get_rate(self, poc) -> float | None:
        return self._own(poc)

    def get_effective_rate(self, poc) -> float:
        return rules.send_rate(poc.code_type, self._own(poc))


class SendRateWriteSerializer(serializers.Serializer):
    rate = serializers.FloatField(allow_null=True, min_value=0.01, max_value=1000)
