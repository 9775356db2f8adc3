# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Microsoft clouds and the endpoints each one implies (internal use only).

One table, so the hosting provider module, the readiness checks, the tenant logon and
the report cannot disagree about which endpoint belongs to which cloud.

Sources (MicrosoftDocs):
* Commercial values: OfficeDocs-SkypeForBusiness, Skype/SfbHybrid/hybrid/
  configure-federation-with-skype-for-business-online.md @ 45b0d94a ("Configure Skype for Business
  hybrid"): ``New-CsHostingProvider -Identity Office365 -ProxyFqdn sipfed.online.lync.com ...
  -AutodiscoverUrl https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root``.
  GCC tenants live in the commercial service and use the same endpoints.
* GCC High, DoD, 21Vianet: the SIP federation SRV target (``sipfed.*``) and the lyncdiscover CNAME
  target (``webdir.*``) of Microsoft 365's DNS record pages for each cloud (microsoft-365-docs,
  "DNS records for Office 365 GCC High / DoD" and the 21Vianet domain pages). The AutodiscoverUrl is
  the commercial URL's path on that cloud's webdir host: **assumed** (no page found that spells the
  sovereign AutodiscoverUrl out in full).
* TeamsEnvironmentName: office-docs-powershell, teams/teams-ps/MicrosoftTeams/Connect-MicrosoftTeams.md
  @ 93336da2 (-TeamsEnvironmentName: TeamsGCCH, TeamsDOD, TeamsChina; none for commercial and GCC).
  That page documents the parameter in the UserCredential parameter set only.
"""

from __future__ import annotations

import dataclasses

_AUTODISCOVER_PATH = "/Autodiscover/AutodiscoverService.svc/root"


@dataclasses.dataclass(frozen=True)
class Cloud:
    """A Microsoft cloud as an on-premises hybrid deployment sees it."""

    key: str
    name: str
    proxy_fqdn: str
    webdir: str
    teams_environment: str | None

    @property
    def autodiscover_url(self) -> str:
        return f"https://{self.webdir}{_AUTODISCOVER_PATH}"


CLOUDS: dict[str, Cloud] = {
    "commercial": Cloud(
        "commercial", "Microsoft 365 (commercial)", "sipfed.online.lync.com", "webdir.online.lync.com", None
    ),
    "gcc": Cloud("gcc", "Microsoft 365 GCC", "sipfed.online.lync.com", "webdir.online.lync.com", None),
    "gcc_high": Cloud(
        "gcc_high",
        "Microsoft 365 GCC High",
        "sipfed.online.gov.skypeforbusiness.us",
        "webdir.online.gov.skypeforbusiness.us",
        "TeamsGCCH",
    ),
    "dod": Cloud(
        "dod",
        "Microsoft 365 DoD",
        "sipfed.online.dod.skypeforbusiness.us",
        "webdir.online.dod.skypeforbusiness.us",
        "TeamsDOD",
    ),
    "21vianet": Cloud(
        "21vianet",
        "Microsoft 365 operated by 21Vianet",
        "sipfed.online.partner.lync.cn",
        "webdir.online.partner.lync.cn",
        "TeamsChina",
    ),
}
DEFAULT = "commercial"
CHOICES = list(CLOUDS)
# Every ProxyFqdn a Microsoft cloud uses: a provider pointing at any of them is "the Microsoft 365 one".
MICROSOFT_PROXY_FQDNS = frozenset(cloud.proxy_fqdn for cloud in CLOUDS.values())


def get(key: str | None) -> Cloud:
    """The cloud for an option value (None: commercial)."""
    return CLOUDS[key or DEFAULT]
