"""Serializer fields with a fixed OpenAPI name.

drf-spectacular names an enum after the field; several `state` fields with different choice sets
(rooms, agents) would collide. A NamedChoiceField is published as the component it names.
"""
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers


class NamedChoiceField(serializers.ChoiceField):
    def __init__(self, choices, enum_name, **kwargs):
        self.enum_name = enum_name
        super().__init__(choices, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = {"type": "string", "enum": list(field.choices),
                  "description": "\n".join(f"* `{value}` - {label}" for value, label in field.choices.items())}
        component = ResolvedComponent(name=field.enum_name, type=ResolvedComponent.SCHEMA, schema=schema, object=field.enum_name)
        auto_schema.registry.register_on_missing(component)
        return component.ref
