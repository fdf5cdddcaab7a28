"""SMS and WhatsApp through Twilio: the webhooks (``POST /twilio/sms``, ``/twilio/whatsapp``),
the :class:`TwilioChannel` that sends, and what customers' texts ask of the line.

Off unless ``SLOTWISE_TWILIO_ACCOUNT_SID`` and ``SLOTWISE_TWILIO_AUTH_TOKEN`` are set;
each kind also needs its sender (``SLOTWISE_TWILIO_SMS_FROM``,
``SLOTWISE_TWILIO_WHATSAPP_FROM``). See ``docs/channels/sms.md``.
"""

from channels.sms.blueprint import CONFIG, channels_of, register_twilio, twilio, twiml
from channels.sms.channel import (
    SMS,
    SMS_TRAITS,
    WHATSAPP,
    WHATSAPP_TRAITS,
    TwilioChannel,
    TwilioConfig,
    TwilioSettings,
    account_works,
)
from channels.sms.codes import send_code

__all__ = [
    "CONFIG",
    "SMS",
    "SMS_TRAITS",
    "WHATSAPP",
    "WHATSAPP_TRAITS",
    "TwilioChannel",
    "TwilioConfig",
    "TwilioSettings",
    "channels_of",
    "check",
    "register_twilio",
    "send_code",
    "twilio",
    "twiml",
]


async def check(settings: TwilioSettings) -> str:
    """One line for ``slotwise channels check``: what is on and whether Twilio takes the
    credentials (it reads the account back; nothing is sent), or what is missing."""
    config = TwilioConfig.of(settings)
    if config is None:
        return "sms/whatsapp: off (set SLOTWISE_TWILIO_ACCOUNT_SID and SLOTWISE_TWILIO_AUTH_TOKEN)"
    if not config.account_sid.startswith("AC"):
        return (
            "sms/whatsapp: FAILED: SLOTWISE_TWILIO_ACCOUNT_SID must start with AC (Twilio console)"
        )
    kinds = [k for k in (SMS, WHATSAPP) if config.sender(k) is not None]
    if not kinds:
        return (
            "sms/whatsapp: no sender; set SLOTWISE_TWILIO_SMS_FROM or SLOTWISE_TWILIO_WHATSAPP_FROM"
        )
    problem = await account_works(config)
    if problem is not None:
        return f"sms/whatsapp: FAILED: {problem}"
    hooks = ", ".join(f"{config.public_url}/twilio/{k}" for k in kinds)
    return f"sms/whatsapp: works: {' and '.join(kinds)} on; point Twilio's webhooks at {hooks}"
