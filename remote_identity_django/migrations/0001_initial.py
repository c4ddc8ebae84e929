"""The ``SyncState`` table."""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SyncState",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="remote_identity_sync",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("fingerprint", models.CharField(max_length=64)),
                ("synced_at", models.DateTimeField()),
                ("created_user", models.BooleanField(default=False)),
            ],
            options={
                "verbose_name": "remote identity sync state",
                "verbose_name_plural": "remote identity sync states",
            },
        ),
    ]
