"""Localised Windows: the messages a German host writes for the errors the lab models.

On a localised Windows, the texts that Windows, .NET and PowerShell produce are translated, while
error ids (FullyQualifiedErrorId), exception type names, HRESULTs and the codes of online services
(AADSTS...) stay the same. Texts written by the online service itself (the AADSTS explanation, the
Lync Online endpoint) and by modules that ship only English resources stay English.

Sources: the German texts marked ``assumed`` below are the wording seen on German Windows Server
installations as the collection's authors know it, not taken from a Microsoft source in
``tests/lab/reference``; the point of the model is that the collection never depends on the English
text, so every message of a modelled error id changes, and any id without a German text gets a
generic German message (assumed) rather than its English one.
"""

from __future__ import annotations

import dataclasses
import typing as t

if t.TYPE_CHECKING:
    from .base import ErrorRecord

# Error id (the part of the FullyQualifiedErrorId before the comma) -> German message. {target} is the
# record's target. All assumed (see the module docstring).
GERMAN: dict[str, str] = {
    "CommandNotFoundException": (
        'Die Benennung "{target}" wurde nicht als Name eines Cmdlet, einer Funktion, einer Skriptdatei oder eines '
        "ausführbaren Programms erkannt. Überprüfen Sie die Schreibweise des Namens, oder ob der Pfad korrekt ist "
        "(sofern enthalten), und wiederholen Sie den Vorgang."
    ),
    "Modules_ModuleNotFound": (
        'Das angegebene Modul "{target}" wurde nicht geladen, da in keinem Modulverzeichnis eine gültige '
        "Moduldatei gefunden wurde."
    ),
    "Modules_InsufficientPowerShellVersion": (
        'Für das Modul "{target}" ist mindestens die PowerShell-Version "5.1" erforderlich. Überprüfen Sie die '
        "Installation von PowerShell, und wiederholen Sie den Vorgang."
    ),
    "Modules_InsufficientDotNetFrameworkVersion": (
        'Für das Modul "{target}" ist mindestens .NET Framework-Version "4.7.2" erforderlich.'
    ),
    "PathNotFound": 'Der Pfad "{target}" kann nicht gefunden werden, da er nicht vorhanden ist.',
    "TopologyNotPublished": "Die Topologie wurde nicht veröffentlicht.",
    "SqlLoginFailed": "Fehler bei der Anmeldung für den Benutzer 'NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG'.",
    "DirectoryOperationsError": "Ein Vorgangsfehler ist aufgetreten.",
    "UnauthorizedAccess": "Zugriff verweigert",
}
GENERIC = "Der Vorgang konnte nicht ausgeführt werden."  # assumed
# The .NET text of an AggregateException, which wraps the service's own (English) AADSTS explanation.
AGGREGATE = ("One or more errors occurred.", "Mindestens ein Fehler ist aufgetreten.")


def localize(record: ErrorRecord, culture: str, service: bool) -> ErrorRecord:
    """The record as a host with this display language writes it; ids and types never change.

    ``service``: the error comes from an online cmdlet, whose text is the service's (only the .NET
    wrapper around it is translated).
    """
    if culture == "en-US":
        return record
    error_id = record.fqid.split(",", 1)[0]
    message = record.message
    if message.startswith(AGGREGATE[0]):
        message = AGGREGATE[1] + message[len(AGGREGATE[0]) :]
    elif error_id in GERMAN:
        message = GERMAN[error_id].format(target=record.target)
    elif not service:
        message = GENERIC
    return dataclasses.replace(record, message=message)
