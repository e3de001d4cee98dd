"""Serializers of the platform API."""

from __future__ import annotations

from rest_framework import serializers

from core.models import BackgroundJob


class BackgroundJobSerializer(serializers.ModelSerializer):
    """A job as its owner sees it: the id as a string, the status in lower case."""

    id = serializers.CharField(read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = BackgroundJob
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "message",
            "result",
            "error",
            "attempts",
            "created_at",
            "updated_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_status(self, job: BackgroundJob) -> str:
        return str(job.status).lower()
