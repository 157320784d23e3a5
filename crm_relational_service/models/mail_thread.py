import codecs
import logging

from odoo import models

_logger = logging.getLogger(__name__)


class MailThread(models.AbstractModel):
    """The mail gateway keeps messages in an unknown character set, or carrying NUL characters,
    instead of losing them."""

    _inherit = "mail.thread"

    def message_parse(self, message, save_original=False):
        try:
            msg_dict = super().message_parse(message, save_original=save_original)
        except (LookupError, UnicodeError) as error:
            # An unknown or lying charset: read those parts as Latin-1, which decodes any
            # byte, rather than drop the whole message.
            _logger.warning(
                "Message %s has an unreadable character set (%s); read as latin-1",
                message.get("Message-Id"), error,
            )  # fmt: skip
            for part in message.walk():
                charset = part.get_content_charset()
                if charset and not _known(charset):
                    part.set_param("charset", "latin-1")
                elif charset and part.get_content_maintype() == "text":
                    try:
                        part.get_payload(decode=True).decode(charset)
                    except UnicodeError:
                        part.set_param("charset", "latin-1")
            msg_dict = super().message_parse(message, save_original=save_original)
        return _without_nul(msg_dict)


def _known(charset):
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True


def _without_nul(msg_dict):
    """The parsed message without NUL characters, which PostgreSQL refuses in text (a subject
    or body carrying one would make the whole message fail)."""
    for key, value in msg_dict.items():
        if isinstance(value, str) and "\x00" in value:
            msg_dict[key] = type(value)(value.replace("\x00", ""))
    return msg_dict
