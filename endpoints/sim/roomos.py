"""A simulated Cisco RoomOS / CE codec SSH session (the xAPI "tshell"), written from Cisco's documents.

Independence: this module follows only Cisco's documents, Cisco-run labs, real captures and
client-library fixtures, never the project's driver or its profiles. Where no source shows the
device's text, the choice is marked INFERRED here and in a comment at the code.

Sources (abbreviations used below):
  [XAPI]   cisco-ce/roomos.cisco.com doc/TechDocs/xAPI.md (CE 9.14 API guide, Cisco).
  [LAB]    WebexCC-SA/LAB-1451 docs/Main-Lab/RoomOS/rxp_xapi/rxp_xapi_ssh.md (Cisco WebexOne lab,
           RoomOS 11 terminal transcripts).
  [SCHEMA] cisco-ce/roomos.cisco.com schemas/11.14.5.0.json and 11.14.4.0.json (official xAPI
           schema: paths, value spaces, defaults); 9.15.17.4.json for CE9.
  [RN]     cisco-ce/roomos.cisco.com doc/WhatsNew/ReleaseNotesRoomOS_10.md / _11.md.
  [PD]     PepperDash/epi-videoCodec-ciscoExtended docs/Cisoc Codec MTR Call Feedbacks Record.txt
           (real PuTTY capture, RoomOS 11.23, CRLF).
  [JSX]    cisco-ce/jsxapi test/backend/tsh.spec.ts, test/xapi/rpc.spec.ts, test/data/*.txt,
           src/backend/tsh.ts (Cisco's client library and its fixtures).
  [ACA]    curtcox/ruby-engine-drivers modules/cisco/collaboration_endpoint/room_os_spec.rb.
  [AVC]    AV-Coders/c-sharp-device-library ConferenceTest/CiscoRoomOsTest.cs.
  [ICD]    ICDSystems/ICD.Connect.Conferencing ...Cisco.Tests/.../DialingComponentTest.cs (XML).
  [DUMP]   a Room Kit Mini RoomOS 11.19 status dump (public repo, file id 29209482724 of the
           code index; repository name not returned).
  [CE92]   Cisco DX70/DX80 API Reference Guide CE9.2 p.200 and SX80 TC7.3 p.230 ("About disconnect
           cause types": CauseType value space and the CallDisconnect field order).
  [AVIX]   AVISPL/dal-codecs-singlecodecs-cisco src/test/resources/status.xml: the full status
           document of a real SX20 (CE 9.1.4) in a SIP call (NetworkServices NTP, Time SystemTime
           ``2021-03-02T14:06:31-0500``, MediaChannels Netstat after 25195 s); and
           src/test/resources/__files/status.xml, a Webex-registered Room Bar (11.19) with a
           SystemTime and no NTP node.
  [EXTRON] Extron Global Scripter Cisco modules: the match string
           ``\\*s Time SystemTime: "([^\\r\\n]+)?"\\r\\n`` (terminal form, quoted).

Behaviour and its source:
- Login [PD]: ``Welcome to <SystemUnit Name>``, ``Cisco Codec Release RoomOS <release> <build>``,
  ``SW Release Date: <date>``, ``*r Login successful``, ``OK``, blank, ``Last login from <unknown>
  at <time>``, blank; CRLF. The CE9 shape with a blank line before ``OK`` is variant
  ``login_blank_before_ok`` [JSX]. ``<unknown>`` is what the real capture prints; the state has no
  peer address anyway. The time is the device's boot time (INFERRED, deterministic). No prompt.
- Echo on by default [PD, XAPI "Echo <on/off>"]; ``echo off`` is itself echoed (INFERRED: echo is
  still on while it is typed) and answers blank + ``OK`` [ACA, JSX echo_response.txt].
- Output modes [LAB]: ``xpreferences outputmode terminal|xml|json``; top-level words may be
  abbreviated to any unique prefix (``xpref``, ``xConfig``, ``xcom`` are seen in [LAB]/[ACA]);
  everything is case-insensitive [XAPI "Case sensitivity"].
  Switching to json/xml prints nothing (the [LAB] transcript shows no ``OK``); switching to
  terminal prints blank + ``OK`` [LAB]. JSON and XML replies carry no ``OK``/``ERROR`` lines
  (INFERRED from [LAB] and [JSX], whose parser treats any text as junk), and ``echo on|off`` in
  those modes prints nothing either (INFERRED, same reason).
- Terminal reply shapes: xStatus / xConfiguration get and set / xFeedback: data, ``** end``,
  blank, ``OK`` [LAB, XAPI]. xCommand: blank, ``OK``, ``*r <Name>Result (status=OK): `` (trailing
  space), result fields flattened as ``*r <Name>Result <Field>: <value>``, ``** end``, no trailing
  OK [LAB "ExtensionsListResult", "SelfViewSetResult"]. ``| resultId="x"`` (any spacing around
  the ``|``) adds ``** resultId: "x"`` before ``** end`` [LAB, XAPI]. Result names are the last two
  command words + ``Result`` (``StandbyDeactivateResult``, ``SelfViewSetResult`` [ACA, LAB]).
- JSON [JSX, ACA, LAB]: pretty printed (2-space indent, outer braces alone on their lines), every
  value a string in ``{"Value": ...}``, indexed nodes as arrays with ``"id"``, configuration
  leaves with ``"valueSpaceRef"`` (``/Valuespace/INT_0_100``, ``TTPAR_OnOff``, ``STR_0_50_NoFilt``
  are verbatim; other names follow that pattern, INFERRED); ``"ResultId"`` last at top level.
  Config set and feedback register answer ``{"ResultId": ...}``; empty answers are ``{`` / ``}``
  on two lines (INFERRED; PepperDash frames JSON on such lines). Dial answers
  ``{"CommandResponse": {"DialResult": {"status": "OK", "CallId": ..., "ConferenceId": ...}}}``.
- XML [LAB, ICD, XAPI]: ``<XmlDoc resultId="...">``, singletons without attributes [LAB],
  indexed nodes ``item="n" maxOccurrence="n"`` [ICD], command results without a CommandResponse
  wrapper and with ``status="OK"`` [ICD]. Error forms in XML are INFERRED from the JSON ones.
- Errors: unknown top-level word -> ``Command not recognized.`` in every mode [ACA, netmiko];
  unknown xCommand -> ``Result`` status=Error, Reason ``Unknown command``, XPath ``/Dila`` [JSX];
  bad status/config path -> ``No match on address expression`` with XPath ``Status/Audio/Volumee``
  [JSX rpc.spec]; the full-stop form for configuration *set* [ACA, JSX rpc.spec]; illegal value
  -> ``{"Configuration": {... {"error": "True", "Value": "Illegal value"}}}`` [JSX];
  missing/invalid parameters -> ``status=ParameterError`` [JSX].
  Terminal forms have no Cisco transcript; INFERRED by mapping the JSON: a CommandResponse
  becomes ``*r`` lines, an attribute becomes ``(name=value)`` as ghosts are printed, and
  ``ERROR`` takes the place ``OK`` would have ([LAB]: "All commands will respond with either OK
  or Error"; [XAPI] multiline: "The result returned is OK or ERROR"):
    xCommand:  blank, ``ERROR``, ``*r DialResult (status=Error): ``, ``*r DialResult Reason: "..."``,
               ``** end``;
    bad path:  ``*r Status (status=Error): ``, ``*r Status Reason: "..."``, ``*r Status XPath: "..."``,
               ``** end``, blank, ``ERROR``;
    bad value: ``*c xConfiguration Audio DefaultVolume (error=True): "Illegal value"``, ``** end``,
               blank, ``ERROR``.
- Instance indexes [XAPI, LAB, AVC]: call ids start at a device-chosen number (2..201, from the
  serial; the first session raises ``state.next_call_id`` to it) and increase; a query may
  omit an index (all instances match); ``Name[n]`` and ``Name n`` are both accepted. Output
  order is case-insensitive alphabetical per level (the schema's order, and the order of
  [AVC]'s fixtures; INFERRED for the device).
- Status tree from ``EndpointState`` ([SCHEMA] paths, [DUMP] example values): SystemUnit
  ProductId/ProductPlatform/ProductType, Software Name/Version (``ce11.14.1.5.<11 hex>``)/
  DisplayName (``RoomOS 11.14.1.5 <hex>``)/ReleaseDate, Hardware Module SerialNumber, Hardware
  Monitoring Temperature Status (CE9+ reports only Unknown/Normal/High/Critical; degrees were
  TC-era only, ``SystemUnit Hardware Temperature: "64.0"`` in the C90 TC6.2 guide; the
  Normal/High/Critical thresholds 70/85 degC are INFERRED, 85 being TC's TemperatureThreshold),
  Uptime, State; SIP Registration 1 Status/Reason/URI; Call n ...; MediaChannels Call n Channel m
  Direction/Type/Encryption/Netstat (CE9/RoomOS layout, only while connected; see below);
  Audio Microphones Mute, Audio Volume;
  built-in camera as ``Cameras Camera 1 Connected`` (+ Manufacturer/Model, ``Integrated Camera``
  [DUMP]) and ``Video Input Connector 1 Connected/SignalState``; microphones as ``Audio Input
  Connectors Microphone 1 ConnectionStatus`` Connected/NotConnected ([SCHEMA] 11.14.4.0 lists it
  for the Room Kit family code names hopen/havella/spitsbergen/millennium; [DUMP] shows it on a
  Room Kit Mini); ``Peripherals ConnectedDevice 1001`` is a touch panel only [DUMP, PD];
  Provisioning Software Current/UpgradeStatus from ``state.upgrade``; Standby State (always Off:
  the state has none).
  ``Call n CallRate`` is not in the CE9+/RoomOS schema, so only Transmit/ReceiveCallRate exist.
- Clock [SCHEMA "Returns the date and time set on the device", AVIX, EXTRON]: ``Time SystemTime``
  is a string leaf (quoted in terminal mode) holding local time with a numeric offset and no
  colon, whole seconds: ``2021-03-02T14:06:31-0500``. The sim's clock is true time plus
  ``state.clock_offset_s``; the offset printed is that of the configured ``Time Zone`` (the sim
  models it; factory default ``Etc/UTC`` gives ``+0000``, ``Asia/Ho_Chi_Minh`` ``+0700``; that
  the offset follows ``Time Zone`` is INFERRED; a zone this machine's tz database lacks prints
  as UTC). Not pushed as feedback when it merely ticks (INFERRED).
- NTP [SCHEMA ``"backend": "onprem"``, AVIX]: ``NetworkServices NTP Status`` ``Synced`` when
  ``state.ntp_synced`` else ``NotSynced`` (value space Discarded/Synced/NotSynced/Unknown/Off;
  ``Off`` when ``xConfiguration NetworkServices NTP Mode`` is Off, and ``NotSynced`` when no
  server is configured, both INFERRED); ``CurrentAddress`` the first non-empty configured
  ``Server n Address`` (INFERRED; the capture's is redacted); ``Server 1..3 Address`` as
  configured, empty ones included [AVIX]. Variant ``no_ntp_status``: no NTP node, as on a
  cloud-registered device [AVIX Room Bar].
- MediaChannels Netstat [SCHEMA DirectShare descriptions, AVIX]: four channels per call (audio and
  video each way), ids ``4 x call id + k``; ``Packets`` (received), ``Loss`` and ``Bytes``
  CUMULATIVE since the call connected, growing continuously (the first second counts at once): 50
  pps audio, video at its ChannelRate in ~1100-byte packets (the SX20 shows ~50 and ~268 pps),
  ``Loss`` the fraction ``state.packet_loss_pct`` of the packets sent, so Loss/(Loss+Packets) =
  packet_loss_pct/100; ``LastIntervalReceived``/``LastIntervalLost`` over the last whole 5 s
  interval since connect (0 before the first one closes, INFERRED); ``Jitter`` =
  ``state.jitter_ms`` rounded to an integer (ms: INFERRED, no Cisco text gives the unit) and
  ``MaxJitter`` = Jitter + Jitter // 4 (2/2 and 4/5 as in [AVIX]); outgoing channels carry the
  same counters as the far end's reports (INFERRED; the SX20's outgoing channels also show small
  Loss counts). ``ChannelRate`` is bit/s (INFERRED from [AVIX]: 62000 on a 64 kbit/s audio
  channel).
- Configuration ([SCHEMA] value spaces and defaults for the Room Kit family): get/set with string
  lengths, integer ranges and literals (the 596-name Time Zone list); literals are matched
  case-insensitively and stored in Cisco's spelling (INFERRED); a refused value is not stored.
  Input values with spaces are quoted [XAPI]; inside quotes ``\\"`` and ``\\\\`` are escapes
  (jsxapi sends JSON-escaped strings [JSX]); other backslashes are kept as typed (INFERRED).
  Control characters (including tab) are refused, and so is an unquoted value with spaces
  ([XAPI] calls it "Incorrect"; the refusal itself is INFERRED). Terminal output escapes ``"`` and
  ``\\`` with a backslash (INFERRED: no source shows it; the research's recommendation); JSON output
  uses JSON escaping.
- xCommand: Dial (Number required S[0..255], Protocol H323/Sip/Spark, CallRate 64..6000,
  CallType, DisplayName, BookingId, TrackingData, Appearance [SCHEMA]); Call Disconnect [CallId]
  ("If no CallId is specified, the currently active call will be disconnected" [SCHEMA]); Audio
  Microphones Mute/Unmute/ToggleMute; SystemUnit SoftwareUpgrade URL [Forced]; SystemUnit Boot
  [Action] [Force] (rebooted after the reply is built); Standby Activate/Deactivate (accepted, no
  effect: the state has no standby). Error reasons for busy/no call/upgrade running are INFERRED.
- xFeedback register/deregister/deregisterall/list [XAPI, LAB]: leading slash optional, ``[n]``
  and ``[@item='n']`` predicates; at most 50 expressions (RoomOS 11.14 guide p.40 via [LAB]);
  ``list`` prints the expressions as typed, sorted (the [XAPI] example's order), in the terminal
  form whatever the output mode (INFERRED: no JSON form is documented). Feedback is a diff of the
  status and configuration trees since this session last looked, printed only where a registration
  covers it, one ``** end`` batch per top-level node [PD]; a removed instance prints ``*s Call 3
  (ghost=True):`` [XAPI, AVC] / ``{"id": "3", "ghost": "True"}``. Uptime, call Duration, Netstat
  counters and Time SystemTime are not pushed when they merely tick (INFERRED). Events:
  OutgoingCallIndication [XAPI], IncomingCallIndication, CallSuccessful (RoomOS 11 field order
  [LAB]) and CallDisconnect (CauseValue, CauseType, CauseString, OrigCallDirection, RemoteURI,
  CallId, CauseCode, CauseOrigin in [CE92]'s order and with its CauseType names; where the
  RoomOS-only fields of [SCHEMA] go, DisplayName and the rest, is INFERRED), one field per line as
  RoomOS 11 prints events [LAB].
- ``bye`` closes the session [XAPI]. Lines end with LF; a trailing CR is dropped. Cisco's
  multiline ``.``-terminated input and jsxapi's ``{n}`` framing are not simulated (no simulated
  command takes a body). ``help``/``?`` prints the RoomOS 11 list [LAB]; xdocument, xevent,
  xgetxml, xtransaction, log and systemtools are not simulated (``Command not recognized.``).

VARIANTS (each documented somewhere, but not the RoomOS 11 default): see ``RoomOSShell.VARIANTS``.

Class attributes: ``firmware`` is the release as Cisco names packages (``ce11.14.1.5``; the shell
appends an 11-hex build id when printing, from the release notes' table when known, else derived
from the version: INFERRED). ``reboot_seconds`` = 900 is a guess: no Cisco source gives reboot or
upgrade time (research §15.10).

Long because: one codec family's shell as Cisco documents it (echo, banners, reply orders,
value spaces, feedback), each behaviour next to the source it cites; split by command, a
reader would lose the shared session state those behaviours depend on.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import ClassVar, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from endpoints.sim.shell import DeviceHooks, DeviceShell
from endpoints.sim.state import CallState, EndpointState

__all__ = ["RoomOSShell"]


def _wallclock() -> float:
    """Wall-clock seconds; a function so tests can pin the ``Last login`` time."""
    return time.time()


# --------------------------------------------------------------------------- value spaces


@dataclass(frozen=True)
class Space:
    """A value space from the schema: ``int`` (range), ``str`` (length) or ``lit`` (literals)."""

    kind: str
    lo: int = 0
    hi: int = 0
    values: tuple[str, ...] = ()
    ref: str = ""  # the valueSpaceRef name JSON/XML print for configuration leaves

    def accept(self, raw: str) -> str | None:
        """The value as the device stores it, or None when the device refuses it."""
        if any(ord(c) < 32 or ord(c) == 127 for c in raw):
            return None  # INFERRED: control characters are refused
        if self.kind == "int":
            text = raw.strip()
            if not re.fullmatch(r"-?[0-9]+", text):
                return None
            number = int(text)
            return str(number) if self.lo <= number <= self.hi else None
        if self.kind == "str":
            return raw if self.lo <= len(raw) <= self.hi else None
        for literal in self.values:  # INFERRED: literals are case-insensitive on input
            if literal.lower() == raw.lower():
                return literal
        return None

    @property
    def quoted(self) -> bool:
        """Strings print in double quotes in terminal mode, integers and literals bare."""
        return self.kind == "str"


def _int(lo: int, hi: int) -> Space:
    return Space("int", lo, hi, ref=f"INT_{lo}_{hi}")


def _str(lo: int, hi: int, ref: str = "") -> Space:
    return Space("str", lo, hi, ref=ref or f"STR_{lo}_{hi}")


def _lit(ref: str, *values: str) -> Space:
    return Space("lit", values=values, ref=f"TTPAR_{ref}")


# The Time Zone literal list of schema 11.14.5.0, in the schema's order.
_TIME_ZONES = """
Africa/Abidjan Africa/Accra Africa/Addis_Ababa Africa/Algiers Africa/Asmara Africa/Asmera
Africa/Bamako Africa/Bangui Africa/Banjul Africa/Bissau Africa/Blantyre Africa/Brazzaville
Africa/Bujumbura Africa/Cairo Africa/Casablanca Africa/Ceuta Africa/Conakry Africa/Dakar
Africa/Dar_es_Salaam Africa/Djibouti Africa/Douala Africa/El_Aaiun Africa/Freetown
Africa/Gaborone Africa/Harare Africa/Johannesburg Africa/Juba Africa/Kampala Africa/Khartoum
Africa/Kigali Africa/Kinshasa Africa/Lagos Africa/Libreville Africa/Lome Africa/Luanda
Africa/Lubumbashi Africa/Lusaka Africa/Malabo Africa/Maputo Africa/Maseru Africa/Mbabane
Africa/Mogadishu Africa/Monrovia Africa/Nairobi Africa/Ndjamena Africa/Niamey Africa/Nouakchott
Africa/Ouagadougou Africa/Porto-Novo Africa/Sao_Tome Africa/Timbuktu Africa/Tripoli Africa/Tunis
Africa/Windhoek America/Adak America/Anchorage America/Anguilla America/Antigua
America/Araguaina America/Argentina/Buenos_Aires America/Argentina/Catamarca
America/Argentina/ComodRivadavia America/Argentina/Cordoba America/Argentina/Jujuy
America/Argentina/La_Rioja America/Argentina/Mendoza America/Argentina/Rio_Gallegos
America/Argentina/Salta America/Argentina/San_Juan America/Argentina/San_Luis
America/Argentina/Tucuman America/Argentina/Ushuaia America/Aruba America/Asuncion
America/Atikokan America/Atka America/Bahia America/Bahia_Banderas America/Barbados
America/Belem America/Belize America/Blanc-Sablon America/Boa_Vista America/Bogota America/Boise
America/Buenos_Aires America/Cambridge_Bay America/Campo_Grande America/Cancun America/Caracas
America/Catamarca America/Cayenne America/Cayman America/Chicago America/Chihuahua
America/Ciudad_Juarez America/Coral_Harbour America/Cordoba America/Costa_Rica America/Creston
America/Cuiaba America/Curacao America/Danmarkshavn America/Dawson America/Dawson_Creek
America/Denver America/Detroit America/Dominica America/Edmonton America/Eirunepe
America/El_Salvador America/Ensenada America/Fort_Nelson America/Fort_Wayne America/Fortaleza
America/Glace_Bay America/Godthab America/Goose_Bay America/Grand_Turk America/Grenada
America/Guadeloupe America/Guatemala America/Guayaquil America/Guyana America/Halifax
America/Havana America/Hermosillo America/Indiana/Indianapolis America/Indiana/Knox
America/Indiana/Marengo America/Indiana/Petersburg America/Indiana/Tell_City
America/Indiana/Vevay America/Indiana/Vincennes America/Indiana/Winamac America/Indianapolis
America/Inuvik America/Iqaluit America/Jamaica America/Jujuy America/Juneau
America/Kentucky/Louisville America/Kentucky/Monticello America/Knox_IN America/Kralendijk
America/La_Paz America/Lima America/Los_Angeles America/Louisville America/Lower_Princes
America/Maceio America/Managua America/Manaus America/Marigot America/Martinique
America/Matamoros America/Mazatlan America/Mendoza America/Menominee America/Merida
America/Metlakatla America/Mexico_City America/Miquelon America/Moncton America/Monterrey
America/Montevideo America/Montreal America/Montserrat America/Nassau America/New_York
America/Nipigon America/Nome America/Noronha America/North_Dakota/Beulah
America/North_Dakota/Center America/North_Dakota/New_Salem America/Nuuk America/Ojinaga
America/Panama America/Pangnirtung America/Paramaribo America/Phoenix America/Port-au-Prince
America/Port_of_Spain America/Porto_Acre America/Porto_Velho America/Puerto_Rico
America/Punta_Arenas America/Rainy_River America/Rankin_Inlet America/Recife America/Regina
America/Resolute America/Rio_Branco America/Rosario America/Santa_Isabel America/Santarem
America/Santiago America/Santo_Domingo America/Sao_Paulo America/Scoresbysund America/Shiprock
America/Sitka America/St_Barthelemy America/St_Johns America/St_Kitts America/St_Lucia
America/St_Thomas America/St_Vincent America/Swift_Current America/Tegucigalpa America/Thule
America/Thunder_Bay America/Tijuana America/Toronto America/Tortola America/Vancouver
America/Virgin America/Whitehorse America/Winnipeg America/Yakutat America/Yellowknife
Antarctica/Casey Antarctica/Davis Antarctica/DumontDUrville Antarctica/Macquarie
Antarctica/Mawson Antarctica/McMurdo Antarctica/Palmer Antarctica/Rothera Antarctica/South_Pole
Antarctica/Syowa Antarctica/Troll Antarctica/Vostok Arctic/Longyearbyen Asia/Aden Asia/Almaty
Asia/Amman Asia/Anadyr Asia/Aqtau Asia/Aqtobe Asia/Ashgabat Asia/Ashkhabad Asia/Atyrau
Asia/Baghdad Asia/Bahrain Asia/Baku Asia/Bangkok Asia/Barnaul Asia/Beirut Asia/Bishkek
Asia/Brunei Asia/Calcutta Asia/Chita Asia/Choibalsan Asia/Chongqing Asia/Chungking Asia/Colombo
Asia/Dacca Asia/Damascus Asia/Dhaka Asia/Dili Asia/Dubai Asia/Dushanbe Asia/Famagusta Asia/Gaza
Asia/Harbin Asia/Hebron Asia/Ho_Chi_Minh Asia/Hong_Kong Asia/Hovd Asia/Irkutsk Asia/Istanbul
Asia/Jakarta Asia/Jayapura Asia/Jerusalem Asia/Kabul Asia/Kamchatka Asia/Karachi Asia/Kashgar
Asia/Kathmandu Asia/Katmandu Asia/Khandyga Asia/Kolkata Asia/Krasnoyarsk Asia/Kuala_Lumpur
Asia/Kuching Asia/Kuwait Asia/Macao Asia/Macau Asia/Magadan Asia/Makassar Asia/Manila
Asia/Muscat Asia/Nicosia Asia/Novokuznetsk Asia/Novosibirsk Asia/Omsk Asia/Oral Asia/Phnom_Penh
Asia/Pontianak Asia/Pyongyang Asia/Qatar Asia/Qostanay Asia/Qyzylorda Asia/Rangoon Asia/Riyadh
Asia/Saigon Asia/Sakhalin Asia/Samarkand Asia/Seoul Asia/Shanghai Asia/Singapore
Asia/Srednekolymsk Asia/Taipei Asia/Tashkent Asia/Tbilisi Asia/Tehran Asia/Tel_Aviv Asia/Thimbu
Asia/Thimphu Asia/Tokyo Asia/Tomsk Asia/Ujung_Pandang Asia/Ulaanbaatar Asia/Ulan_Bator
Asia/Urumqi Asia/Ust-Nera Asia/Vientiane Asia/Vladivostok Asia/Yakutsk Asia/Yangon
Asia/Yekaterinburg Asia/Yerevan Atlantic/Azores Atlantic/Bermuda Atlantic/Canary
Atlantic/Cape_Verde Atlantic/Faeroe Atlantic/Faroe Atlantic/Jan_Mayen Atlantic/Madeira
Atlantic/Reykjavik Atlantic/South_Georgia Atlantic/St_Helena Atlantic/Stanley Australia/ACT
Australia/Adelaide Australia/Brisbane Australia/Broken_Hill Australia/Canberra Australia/Currie
Australia/Darwin Australia/Eucla Australia/Hobart Australia/LHI Australia/Lindeman
Australia/Lord_Howe Australia/Melbourne Australia/NSW Australia/North Australia/Perth
Australia/Queensland Australia/South Australia/Sydney Australia/Tasmania Australia/Victoria
Australia/West Australia/Yancowinna Brazil/Acre Brazil/DeNoronha Brazil/East Brazil/West CET
CST6CDT Canada/Atlantic Canada/Central Canada/Eastern Canada/Mountain Canada/Newfoundland
Canada/Pacific Canada/Saskatchewan Canada/Yukon Chile/Continental Chile/EasterIsland Cuba EET
EST EST5EDT Egypt Eire Etc/GMT Etc/GMT+0 Etc/GMT+1 Etc/GMT+10 Etc/GMT+11 Etc/GMT+12 Etc/GMT+2
Etc/GMT+3 Etc/GMT+4 Etc/GMT+5 Etc/GMT+6 Etc/GMT+7 Etc/GMT+8 Etc/GMT+9 Etc/GMT-0 Etc/GMT-1
Etc/GMT-10 Etc/GMT-11 Etc/GMT-12 Etc/GMT-13 Etc/GMT-14 Etc/GMT-2 Etc/GMT-3 Etc/GMT-4 Etc/GMT-5
Etc/GMT-6 Etc/GMT-7 Etc/GMT-8 Etc/GMT-9 Etc/GMT0 Etc/Greenwich Etc/UCT Etc/UTC Etc/Universal
Etc/Zulu Europe/Amsterdam Europe/Andorra Europe/Astrakhan Europe/Athens Europe/Belfast
Europe/Belgrade Europe/Berlin Europe/Bratislava Europe/Brussels Europe/Bucharest Europe/Budapest
Europe/Busingen Europe/Chisinau Europe/Copenhagen Europe/Dublin Europe/Gibraltar Europe/Guernsey
Europe/Helsinki Europe/Isle_of_Man Europe/Istanbul Europe/Jersey Europe/Kaliningrad Europe/Kiev
Europe/Kirov Europe/Kyiv Europe/Lisbon Europe/Ljubljana Europe/London Europe/Luxembourg
Europe/Madrid Europe/Malta Europe/Mariehamn Europe/Minsk Europe/Monaco Europe/Moscow
Europe/Nicosia Europe/Oslo Europe/Paris Europe/Podgorica Europe/Prague Europe/Riga Europe/Rome
Europe/Samara Europe/San_Marino Europe/Sarajevo Europe/Saratov Europe/Simferopol Europe/Skopje
Europe/Sofia Europe/Stockholm Europe/Tallinn Europe/Tirane Europe/Tiraspol Europe/Ulyanovsk
Europe/Uzhgorod Europe/Vaduz Europe/Vatican Europe/Vienna Europe/Vilnius Europe/Volgograd
Europe/Warsaw Europe/Zagreb Europe/Zaporozhye Europe/Zurich GB GB-Eire GMT GMT+0 GMT-0 GMT0
Greenwich HST Hongkong Iceland Indian/Antananarivo Indian/Chagos Indian/Christmas Indian/Cocos
Indian/Comoro Indian/Kerguelen Indian/Mahe Indian/Maldives Indian/Mauritius Indian/Mayotte
Indian/Reunion Iran Israel Jamaica Japan Kwajalein Libya MET MST MST7MDT Mexico/BajaNorte
Mexico/BajaSur Mexico/General NZ NZ-CHAT Navajo PRC PST8PDT Pacific/Apia Pacific/Auckland
Pacific/Bougainville Pacific/Chatham Pacific/Chuuk Pacific/Easter Pacific/Efate
Pacific/Enderbury Pacific/Fakaofo Pacific/Fiji Pacific/Funafuti Pacific/Galapagos
Pacific/Gambier Pacific/Guadalcanal Pacific/Guam Pacific/Honolulu Pacific/Johnston
Pacific/Kanton Pacific/Kiritimati Pacific/Kosrae Pacific/Kwajalein Pacific/Majuro
Pacific/Marquesas Pacific/Midway Pacific/Nauru Pacific/Niue Pacific/Norfolk Pacific/Noumea
Pacific/Pago_Pago Pacific/Palau Pacific/Pitcairn Pacific/Pohnpei Pacific/Ponape
Pacific/Port_Moresby Pacific/Rarotonga Pacific/Saipan Pacific/Samoa Pacific/Tahiti
Pacific/Tarawa Pacific/Tongatapu Pacific/Truk Pacific/Wake Pacific/Wallis Pacific/Yap Poland
Portugal ROC ROK Singapore Turkey UCT US/Alaska US/Aleutian US/Arizona US/Central
US/East-Indiana US/Eastern US/Hawaii US/Indiana-Starke US/Michigan US/Mountain US/Pacific
US/Samoa UTC Universal W-SU WET Zulu
""".split()

_ON_OFF = _lit("OnOff", "Off", "On")

# (path template, value space, factory default) for the Room Kit family (hopen, havella,
# spitsbergen, millennium) in [SCHEMA] 11.14.5.0. ``[a..b]`` is an instance range.
_CONFIG_SCHEMA: tuple[tuple[str, Space, str], ...] = (
    ("Audio DefaultVolume", _int(0, 100), "50"),
    ("Conference AutoAnswer Delay", _int(0, 50), "0"),
    ("Conference AutoAnswer Mode", _ON_OFF, "Off"),
    ("Conference AutoAnswer Mute", _ON_OFF, "Off"),
    ("Conference DefaultCall Protocol", _lit("DefaultCallProtocol", "Auto", "H323", "Sip", "Spark"), "Auto"),
    ("Conference DefaultCall Rate", _int(64, 6000), "6000"),
    ("Conference MaxReceiveCallRate", _int(64, 6000), "6000"),
    ("Conference MaxTransmitCallRate", _int(64, 6000), "6000"),
    ("H323 CallSetup Mode", _lit("CallSetupMode", "Direct", "Gatekeeper"), "Gatekeeper"),
    ("H323 Gatekeeper Address", _str(0, 255), ""),
    ("H323 H323Alias E164", _str(0, 30), ""),
    ("H323 H323Alias ID", _str(0, 49), ""),
    ("NetworkServices HTTP Mode", _lit("HttpMode", "HTTP+HTTPS", "HTTPS", "Off"), "HTTPS"),
    ("NetworkServices NTP Mode", _lit("NtpMode", "Auto", "Manual", "Off"), "Auto"),
    ("NetworkServices NTP Server[1..3] Address", _str(0, 255), "0.tandberg.pool.ntp.org"),
    ("NetworkServices SSH Mode", _ON_OFF, "On"),
    ("SIP Authentication UserName", _str(0, 128), ""),
    ("SIP DefaultTransport", _lit("SipTransport", "Auto", "TCP", "Tls", "UDP"), "Auto"),
    ("SIP DisplayName", _str(0, 550), ""),
    ("SIP Proxy[1..4] Address", _str(0, 255), ""),
    ("SIP URI", _str(0, 255), ""),
    ("Standby Control", _ON_OFF, "On"),
    ("Standby Delay", _int(1, 480), "10"),
    ("SystemUnit Name", _str(0, 50, "STR_0_50_NoFilt"), ""),
    ("Time DateFormat", _lit("DateFormat", "DD_MM_YY", "MM_DD_YY", "YY_MM_DD"), "DD_MM_YY"),
    ("Time TimeFormat", _lit("TimeFormat", "12H", "24H"), "24H"),
    ("Time Zone", _lit("TimeZone", *_TIME_ZONES), "Etc/UTC"),
)


def _expand(template: str) -> list[str]:
    """``SIP Proxy[1..4] Address`` -> ``SIP Proxy 1 Address`` ... ``SIP Proxy 4 Address``."""
    if "[" not in template:
        return [template]
    head, rest = template.split("[", 1)
    bounds, tail = rest.split("]", 1)
    lo, hi = (int(b) for b in bounds.split(".."))
    return [f"{head} {n}{tail}" for n in range(lo, hi + 1)]


_CONFIG: dict[str, tuple[Space, str]] = {
    key: (space, default) for template, space, default in _CONFIG_SCHEMA for key in _expand(template)
}

# Status paths this device has ([SCHEMA] 11.14.5.0; ``[n]`` marks an instance index). A query
# naming a prefix of one of these is valid even when no instance exists (``xStatus Call`` idle).
_STATUS_SCHEMA = """
Audio Input Connectors Microphone[n] ConnectionStatus
Audio Microphones Mute
Audio Volume
Call[n] AnswerState
Call[n] CallType
Call[n] CallbackNumber
Call[n] DeviceType
Call[n] Direction
Call[n] DisplayName
Call[n] Duration
Call[n] Encryption Type
Call[n] PlacedOnHold
Call[n] Protocol
Call[n] ReceiveCallRate
Call[n] RemoteNumber
Call[n] Status
Call[n] TransmitCallRate
Cameras Camera[n] Connected
Cameras Camera[n] Manufacturer
Cameras Camera[n] Model
MediaChannels Call[n] Channel[n] Audio Protocol
MediaChannels Call[n] Channel[n] Direction
MediaChannels Call[n] Channel[n] Encryption
MediaChannels Call[n] Channel[n] Netstat Bytes
MediaChannels Call[n] Channel[n] Netstat ChannelRate
MediaChannels Call[n] Channel[n] Netstat Jitter
MediaChannels Call[n] Channel[n] Netstat LastIntervalLost
MediaChannels Call[n] Channel[n] Netstat LastIntervalReceived
MediaChannels Call[n] Channel[n] Netstat Loss
MediaChannels Call[n] Channel[n] Netstat MaxJitter
MediaChannels Call[n] Channel[n] Netstat Packets
MediaChannels Call[n] Channel[n] Type
MediaChannels Call[n] Channel[n] Video Protocol
NetworkServices NTP CurrentAddress
NetworkServices NTP Server[n] Address
NetworkServices NTP Status
Peripherals ConnectedDevice[n] HardwareInfo
Peripherals ConnectedDevice[n] ID
Peripherals ConnectedDevice[n] Name
Peripherals ConnectedDevice[n] SoftwareInfo
Peripherals ConnectedDevice[n] Status
Peripherals ConnectedDevice[n] Type
Peripherals ConnectedDevice[n] UpgradeStatus
Provisioning Software Current VersionId
Provisioning Software UpgradeStatus Message
Provisioning Software UpgradeStatus Phase
Provisioning Software UpgradeStatus Status
Provisioning Software UpgradeStatus URL
Provisioning Software UpgradeStatus VersionId
SIP Registration[n] Reason
SIP Registration[n] Status
SIP Registration[n] URI
Standby State
SystemUnit Hardware Module SerialNumber
SystemUnit Hardware Monitoring Temperature Status
SystemUnit ProductId
SystemUnit ProductPlatform
SystemUnit ProductType
SystemUnit Software DisplayName
SystemUnit Software Name
SystemUnit Software ReleaseDate
SystemUnit Software Version
SystemUnit State NumberOfActiveCalls
SystemUnit State NumberOfInProgressCalls
SystemUnit State System
SystemUnit Uptime
Time SystemTime
Video Input Connector[n] Connected
Video Input Connector[n] SignalState
Video Input Connector[n] SourceId
Video Input Connector[n] Type
""".strip().splitlines()

# ProductId -> (ProductPlatform, Software Name, camera Model). ProductId/Platform spelling from
# [DUMP] ("Cisco Room Kit Mini" / "Room Kit Mini"), the others by analogy (INFERRED); software
# platform names from [RN] (Room Bar is an s53300 product in RoomOS 11).
_MODELS: dict[str, tuple[str, str, str]] = {
    "Cisco Room Kit": ("Room Kit", "s53200", "Integrated Camera"),
    "Cisco Room Kit Mini": ("Room Kit Mini", "s53200", "Integrated Camera"),
    "Cisco Room Bar": ("Room Bar", "s53300", "Integrated Camera"),
    "Cisco Codec Plus": ("Codec Plus", "s53200", "Cisco Quad Camera"),
}

# Release -> (build id, date) as [RN] lists them; other releases get a derived build id.
_RELEASES: dict[str, tuple[str, str]] = {
    "11.14.2.3": ("e98a3091ff6", "2024-03-21"),
    "11.14.3.0": ("f5fdf020908", "2024-05-16"),
    "11.14.4.0": ("4f4369205a1", "2024-07-24"),
    "11.14.5.0": ("da3520c7ba8", "2024-10-16"),
    "11.17.2.2": ("6d10476cc76", "2024-06-27"),
    "11.17.3.0": ("5b28ed3fc06", "2024-07-18"),
    "11.17.4.0": ("b12646305a2", "2024-10-15"),
    "11.19.1.7": ("3055d561c16", "2024-08-05"),
    "11.20.2.3": ("0c4cc65e4e2", "2024-10-07"),
    "11.20.3.0": ("747a3a59da1", "2024-11-27"),
    "11.23.1.8": ("3963b07b5c5", "2024-12-12"),
    "11.24.2.4": ("c2bc63070f1", "2025-02-05"),
}

_CALL_STATUS = {"dialling": "Dialling", "ringing": "Ringing", "connected": "Connected"}
_PROTOCOL = {"sip": "SIP", "h323": "H323", "spark": "Spark"}  # Call[n] Protocol literals

# shell.py cause -> (CauseType [CE92], CauseValue, SIP code, SIP CauseString, Q.850 code).
# The CauseType names are Cisco's value space; the codes and strings are INFERRED.
_CAUSES: dict[str, tuple[str, int, int, str, int]] = {
    "LocalDisconnect": ("LocalDisconnect", 1, 0, "", 16),
    "RemoteDisconnect": ("RemoteDisconnect", 1, 0, "", 16),
    "NetworkError": ("NetworkRejected", 4, 408, "Request Timeout", 38),
    "NoResources": ("OtherRemote", 3, 503, "Service Unavailable", 47),
    "NotFound": ("UnknownRemoteSite", 3, 404, "Not Found", 1),
    "Busy": ("RemoteBusy", 5, 486, "Busy Here", 17),
}

_TOP_WORDS = (
    "help", "xcommand", "xconfiguration", "xdocument", "xevent", "xfeedback", "xgetxml",
    "xpreferences", "xstatus", "xtransaction", "bye", "echo", "log", "systemtools",
)  # fmt: skip
_FEEDBACK_LIMIT = 50
_INTERVAL_S = 5  # Netstat LastInterval* span "about 5 seconds" [SCHEMA MaxJitter, TC C90 guide]
_TOUCH_ID = "1001"  # peripheral index as in [PD] (``*s Peripherals ConnectedDevice 1001 ...``)


# --------------------------------------------------------------------------- paths and leaves


class Leaf(NamedTuple):
    """One printed value. ``path`` holds names and, after an indexed name, its index as digits."""

    path: tuple[str, ...]
    value: str = ""
    quoted: bool = False
    ref: str = ""  # configuration valueSpaceRef
    attr: str = ""  # "ghost" (a removed instance) or "error" (an illegal configuration value)


def _split_name(word: str) -> list[str]:
    """``Connector[3]`` / ``Connector[@item='3']`` -> ``["Connector", "3"]``."""
    if "[" in word and word.endswith("]"):
        name, index = word[:-1].split("[", 1)
        index = index.removeprefix("@item=").strip("'\"")
        return [name, index]
    return [word]


def _is_index(token: str) -> bool:
    """An instance index: ASCII digits only (``str.isdigit`` also accepts e.g. superscripts)."""
    return token.isascii() and token.isdigit()


def _key(path: Iterable[str]) -> tuple[tuple[int, int | str], ...]:
    """Sort key: names case-insensitively, indexes numerically."""
    return tuple((0, int(t)) if _is_index(t) else (1, t.lower()) for t in path)


def _match(query: tuple[str, ...], path: tuple[str, ...], ancestor_ok: bool = False) -> bool:
    """Whether ``query`` addresses ``path``; an omitted index matches every instance [XAPI].

    With ``ancestor_ok``, also true when ``path`` is an ancestor of what ``query`` names (a
    removed ``Call 3`` concerns a registration on ``/Status/Call/Status``)."""
    i = j = 0
    while i < len(query) and j < len(path):
        q, p = query[i], path[j]
        if _is_index(q):
            if not _is_index(p) or int(p) != int(q):
                return False
        elif _is_index(p):
            j += 1
            continue
        elif q.lower() != p.lower():
            return False
        i += 1
        j += 1
    return i == len(query) or (ancestor_ok and j == len(path))


def _schema_nodes(template: str) -> list[tuple[str, bool]]:
    return [(n.removesuffix("[n]").lower(), n.endswith("[n]")) for n in template.split()]


_STATUS_TEMPLATES = [_schema_nodes(t) for t in _STATUS_SCHEMA]


def _valid_status_query(query: tuple[str, ...]) -> bool:
    """A query is valid when it names a prefix of a schema path (indexes only where allowed)."""
    for nodes in _STATUS_TEMPLATES:
        k, indexable = 0, False
        for token in query:
            if _is_index(token):
                if not indexable:
                    break
                indexable = False
            elif k < len(nodes) and nodes[k][0] == token.lower():
                indexable = nodes[k][1]
                k += 1
            else:
                break
        else:
            return True
    return False


def _xpath(root: str, tokens: Iterable[str]) -> str:
    """``Status/Audio/Volumee``, ``Configuration/Video/Input/Connector[1]/Foo`` [JSX, ACA]."""
    parts = [root]
    for t in tokens:
        if _is_index(t):
            parts[-1] += f"[{t}]"
        else:
            parts.append(t)
    return "/".join(parts)


# --------------------------------------------------------------------------- input parsing


class _Syntax(Exception):
    """The line cannot be parsed (an unterminated quote, stray text)."""


class _Cursor:
    """Reads the device's input syntax: words, ``Key: value`` pairs, quoted strings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def done(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def word(self) -> str:
        """A path word or parameter name: up to a space, a colon or a quote."""
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ' \t:"':
            self.pos += 1
        return self.text[start : self.pos]

    def colon(self) -> bool:
        if self.pos < len(self.text) and self.text[self.pos] == ":":
            self.pos += 1
            return True
        return False

    def value(self) -> str:
        """A bare value (up to a space; may hold colons, e.g. ``sip:a@b``) or a quoted one.

        Inside quotes ``\\"`` and ``\\\\`` are escapes (jsxapi sends JSON-escaped strings
        [JSX]); any other backslash is kept as typed (INFERRED)."""
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] == '"':
            out: list[str] = []
            self.pos += 1
            while self.pos < len(self.text):
                c = self.text[self.pos]
                if c == "\\" and self.pos + 1 < len(self.text) and self.text[self.pos + 1] in '"\\':
                    out.append(self.text[self.pos + 1])
                    self.pos += 2
                elif c == '"':
                    self.pos += 1
                    return "".join(out)
                else:
                    out.append(c)
                    self.pos += 1
            raise _Syntax("unterminated quote")
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in " \t":
            self.pos += 1
        return self.text[start : self.pos]


_TAG = re.compile(r'\s*resultid\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*', re.IGNORECASE)


def _unescape(text: str) -> str:
    return re.sub(r'\\(["\\])', r"\1", text)


def _split_tag(line: str) -> tuple[str, str | None]:
    """Split ``<request> | resultId="x"`` (any spacing around ``|`` [LAB, JSX]), outside quotes.

    A malformed tag is left in the request, which then fails as the device would."""
    quoted, i = False, 0
    while i < len(line):
        c = line[i]
        if quoted and c == "\\":
            i += 2  # an escaped character inside quotes
            continue
        if c == '"':
            quoted = not quoted
        elif c == "|" and not quoted:
            m = _TAG.fullmatch(line[i + 1 :])
            if m is None:
                return line, None
            tag = _unescape(m.group(1)) if m.group(1) is not None else m.group(2)
            return line[:i].rstrip(), tag
        i += 1
    return line, None


def _path_words(cursor: _Cursor) -> tuple[list[str], str | None]:
    """Path words up to the first ``Key:``; returns the words and that key (or None)."""
    words: list[str] = []
    while not cursor.done():
        word = cursor.word()
        if not word:
            raise _Syntax("stray text")
        if cursor.colon():
            return words, word
        words.extend(_split_name(word))
    return words, None


def _params(cursor: _Cursor, first_key: str | None) -> list[tuple[str, str]]:
    """``Key: value`` pairs after the path; anything else is a syntax error."""
    pairs: list[tuple[str, str]] = []
    key = first_key
    while key is not None:
        pairs.append((key, cursor.value()))
        if cursor.done():
            break
        key = cursor.word()
        if not key or not cursor.colon():
            raise _Syntax("expected Key: value")
    return pairs


# --------------------------------------------------------------------------- rendering


def _quote(value: str) -> str:
    """Terminal string quoting; escaping ``"`` and ``\\`` is INFERRED (no source shows it)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _term_value(leaf: Leaf) -> str:
    return _quote(leaf.value) if leaf.quoted else leaf.value


def _nest(leaves: Iterable[Leaf]) -> dict[str, object]:
    """Leaves -> the JSON document shape: ``{"Value": ...}`` leaves, arrays with ``"id"``."""
    root: dict[str, object] = {}
    for leaf in leaves:
        node: dict[str, object] = root
        tokens = leaf.path
        i = 0
        while i < len(tokens):
            name = tokens[i]
            indexed = i + 1 < len(tokens) and _is_index(tokens[i + 1])
            end = i + (2 if indexed else 1) >= len(tokens)
            if indexed:
                items = node.setdefault(name, [])
                assert isinstance(items, list)
                elem = next((e for e in items if e["id"] == tokens[i + 1]), None)
                if elem is None:
                    elem = {"id": tokens[i + 1]}
                    items.append(elem)
                node = elem
                i += 2
                if end and leaf.attr == "ghost":
                    node["ghost"] = "True"
                continue
            if end:
                node[name] = _leaf_json(leaf)
            else:
                child = node.setdefault(name, {})
                assert isinstance(child, dict)
                node = child
            i += 1
    return root


def _leaf_json(leaf: Leaf) -> dict[str, str]:
    if leaf.attr == "error":
        return {"error": "True", "Value": leaf.value}
    if leaf.ref:
        return {"valueSpaceRef": f"/Valuespace/{leaf.ref}", "Value": leaf.value}
    return {"Value": leaf.value}


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _xml_lines(name: str, node: object, depth: int) -> list[str]:
    """A JSON-shaped node as XML: lower-case keys become attributes, ``id`` becomes ``item``."""
    pad = "  " * depth
    if isinstance(node, list):
        return [line for elem in node for line in _xml_lines(name, elem, depth)]
    assert isinstance(node, dict)
    attrs = ""
    for k, v in node.items():
        if k == "id":
            attrs += f' item="{_xml_escape(v)}" maxOccurrence="n"'
        elif k[0].islower():
            attrs += f' {k}="{_xml_escape(v)}"'
    if "Value" in node:
        return [f"{pad}<{name}{attrs}>{_xml_escape(node['Value'])}</{name}>"]
    kids = [(k, v) for k, v in node.items() if k[0].isupper()]
    if not kids:
        return [f"{pad}<{name}{attrs}/>"]
    lines = [f"{pad}<{name}{attrs}>"]
    for k, v in kids:
        lines += _xml_lines(k, v, depth + 1)
    return [*lines, f"{pad}</{name}>"]


@dataclass
class _Reply:
    """One reply before it is rendered in the session's output mode.

    ``kind``: "data" (``*s``/``*c`` leaves under ``root``, ends ``** end``/blank/OK-or-ERROR),
    "command" (a ``*r <root> (status=...)`` block: an xCommand result), or "error" (a ``*r``
    block for a bad status/configuration path, ended like data)."""

    kind: str
    root: str
    leaves: list[Leaf] = field(default_factory=list)
    status: str = "OK"
    fields: list[Leaf] = field(default_factory=list)  # result fields, in order
    tag: str | None = None
    ok: bool = True

    def __post_init__(self) -> None:
        if self.kind == "error":
            self.status, self.ok = "Error", False


# --------------------------------------------------------------------------- the shell


@dataclass
class _Cmd:
    """An xCommand: its canonical words, the Result name, its parameters, and the handler."""

    words: tuple[str, ...]
    params: dict[str, tuple[str, Space, bool]]  # lower name -> (Name, value space, required)
    handler: str

    @property
    def result(self) -> str:
        return "".join(self.words[-2:]) + "Result"


def _p(name: str, space: Space, required: bool = False) -> tuple[str, tuple[str, Space, bool]]:
    return name.lower(), (name, space, required)


_TRUE_FALSE = _lit("TrueFalse", "False", "True")
_COMMANDS: tuple[_Cmd, ...] = (
    _Cmd(
        ("Dial",),
        dict(
            (
                _p("Number", _str(0, 255), True),
                _p("Protocol", _lit("DialProtocol", "H323", "Sip", "Spark")),
                _p("CallRate", _int(64, 6000)),
                _p("CallType", _lit("CallType", "Auto", "Audio", "Video")),
                _p("DisplayName", _str(0, 255)),
                _p("BookingId", _str(0, 255)),
                _p("TrackingData", _str(0, 255)),
                _p("Appearance", _int(1, 999999999)),
            )
        ),
        "_cmd_dial",
    ),
    _Cmd(("Call", "Disconnect"), dict((_p("CallId", _int(0, 65534)),)), "_cmd_disconnect"),
    _Cmd(("Audio", "Microphones", "Mute"), {}, "_cmd_mute"),
    _Cmd(("Audio", "Microphones", "Unmute"), {}, "_cmd_unmute"),
    _Cmd(("Audio", "Microphones", "ToggleMute"), {}, "_cmd_toggle_mute"),
    _Cmd(
        ("SystemUnit", "SoftwareUpgrade"),
        dict((_p("URL", _str(0, 1024), True), _p("Forced", _TRUE_FALSE))),
        "_cmd_upgrade",
    ),
    _Cmd(
        ("SystemUnit", "Boot"),
        dict((_p("Action", _lit("BootAction", "Restart", "Shutdown")), _p("Force", _TRUE_FALSE))),
        "_cmd_boot",
    ),
    _Cmd(("Standby", "Activate"), {}, "_cmd_noop"),
    _Cmd(("Standby", "Deactivate"), {}, "_cmd_noop"),
)
_COMMAND_INDEX = {tuple(w.lower() for w in c.words): c for c in _COMMANDS}


class _CommandFailed(Exception):
    """A command refused: ``status`` is Error or ParameterError, ``reason`` its Reason text."""

    def __init__(self, status: str, reason: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class RoomOSShell(DeviceShell):
    """One SSH session on a Cisco Room Kit-family codec running RoomOS 11 (see module doc)."""

    family: ClassVar[str] = "cisco-roomos"
    models: ClassVar[tuple[str, ...]] = tuple(_MODELS)
    firmware: ClassVar[str] = "ce11.14.1.5"
    reboot_seconds: ClassVar[float] = 900.0  # a guess: no Cisco source states reboot time
    VARIANTS: ClassVar[dict[str, str]] = {
        "echo_off_at_login": "echo starts off (a device or client configuration seen in drivers)",
        "ok_after_result": "xCommand prints '** end' then 'OK'/'ERROR' (third-party fixtures, "
        "e.g. a C# test sending '*r PeripheralsHeartBeatResult (status=OK): ', '** end', 'OK')",
        "login_blank_before_ok": "CE9 banner: a blank line between '*r Login successful' and 'OK' "
        "(jsxapi tsh.spec.ts CE 9.2.2 fixture, test/data/welcome.txt)",
        "indented_results": "xCommand result fields as indented lines under the '*r' header "
        "('    CallId: 2'), the older CE/TC layout (C90 TC5 guide, CE 9.14 guide)",
        "json_resultid_comma_first": 'JSON replies end with a line \',"ResultId": "x"\' before the '
        "closing brace (jsxapi tsh.spec.ts fixtures)",
        "lf_line_endings": "bare LF line endings (unconfirmed: a shell opened without a PTY)",
        "no_ntp_status": "no NetworkServices NTP node in the status tree, as on a Webex-registered "
        "(cloud) device: the schema marks it on-premises only and both cloud captures lack it",
    }

    def __init__(
        self, state: EndpointState, hooks: DeviceHooks, variants: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(state, hooks, variants)
        self.echo = "echo_off_at_login" not in variants
        self.mode = "terminal"
        self.eol = "\n" if "lf_line_endings" in variants else "\r\n"
        self.registrations: list[tuple[str, tuple[str, ...]]] = []  # (as typed, tokens)
        self.ended: set[int] = set()  # calls this session saw end (ghosted)
        # Call ids are the device's, not 1: start above a number chosen from the serial.
        base = 2 + zlib.crc32(state.serial.encode()) % 200
        state.next_call_id = max(state.next_call_id, base)
        self.seen = self._snapshot()

    # ----------------------------------------------------------------- contract

    @classmethod
    def initial_config(cls, name: str, index: int) -> dict[str, str]:
        """Factory defaults of [SCHEMA] with the system name set; ``index`` is not used
        (a factory-fresh codec has no per-unit setting but its name)."""
        config = {key: default for key, (_, default) in _CONFIG.items()}
        config["SystemUnit Name"] = name[:50]
        return config

    def login(self) -> str:
        """The banner of [PD] (RoomOS 11.23 capture); see ``login_blank_before_ok``."""
        release, build, date = self._software()
        booted = datetime.fromtimestamp(_wallclock() - self.state.uptime_s, UTC)
        lines = [
            f"Welcome to {self._config('SystemUnit Name')}",
            f"Cisco Codec Release RoomOS {release} {build}",
            f"SW Release Date: {date}",
            "*r Login successful",
            *([""] if "login_blank_before_ok" in self.variants else []),
            "OK",
            "",
            f"Last login from <unknown> at {booted:%Y-%m-%d %H:%M:%S}",
            "",
        ]
        return self._out(lines)

    def split(self, buffer: str) -> tuple[list[str], str]:
        """Lines end with LF; a CR before it is dropped (PuTTY, netmiko send CRLF)."""
        *lines, rest = buffer.split("\n")
        return [line.removesuffix("\r") for line in lines], rest

    def handle(self, line: str) -> tuple[list[str], bool]:
        """Echo, the reply, then any feedback this session registered for that the command
        caused (a mute, a configuration change): a real device pushes it right after."""
        pieces = [self._out([line])] if self.echo else []
        if not line.strip():
            return pieces, False
        self.state.commands.append(line)
        body, tag = _split_tag(line.strip())
        first, _, rest = body.partition(" ")
        word = self._top_word(first)
        after: list[str] = []  # what happens once the reply is out
        if word is None:
            reply = self._out(["Command not recognized."])
        elif word == "bye":
            return pieces, True
        elif word == "echo":
            reply = self._echo(rest)
        elif word in ("help", "?"):
            reply = self._help()
        elif word == "xpreferences":
            reply = self._preferences(rest)
        elif word == "xstatus":
            reply = self._render(self._status_query(rest, tag))
        elif word == "xconfiguration":
            reply = self._render(self._configuration(rest, tag))
        elif word == "xfeedback":
            reply = self._feedback(rest, tag)
        elif word == "xcommand":
            reply = self._render(self._command(rest, tag, after))
        else:
            reply = self._out(["Command not recognized."])  # a real word this device does not simulate
        pieces.append(reply)
        # Only a command or a configuration write changes the device; a read cannot, so the
        # (whole-tree) comparison is skipped for it, and for a session that registered nothing.
        writes = word == "xcommand" or (word == "xconfiguration" and ":" in rest)
        if self.registrations and writes and (feedback := self._diff_feedback()):
            pieces.append(feedback)
        for action in after:
            if action == "reboot":
                self.hooks.reboot()
        return [p for p in pieces if p], False

    def event(self, kind: str, data: dict[str, object]) -> str | None:
        """Status/configuration changes since this session last looked, then the call event
        (``*e``), each only where a registration covers it."""
        call = data.get("call")
        events: list[tuple[str, list[Leaf]]] = []
        if isinstance(call, CallState):
            if kind == "call_disconnected":
                self.ended.add(call.call_id)
                events.append(("CallDisconnect", self._disconnect_fields(call, str(data.get("cause", "")))))
            elif kind == "call_connected":
                self.ended.discard(call.call_id)
                events.append(("CallSuccessful", self._successful_fields(call)))
            elif kind == "call_progress" and call.status == "dialling" and call.direction == "outgoing":
                events.append(("OutgoingCallIndication", [Leaf(("CallId",), str(call.call_id))]))
            elif kind == "call_progress" and call.direction == "incoming":
                events.append(("IncomingCallIndication", self._incoming_fields(call)))
        batches = self._diff_batches(
            call if isinstance(call, CallState) and kind != "call_disconnected" else None
        )
        for name, fields in events:
            covered = [f for f in fields if self._registered(("Event", name, *f.path))]
            if covered:
                batches.append(("Event", [Leaf((name, *f.path), f.value, f.quoted) for f in covered]))
        text = "".join(self._render_feedback(root, leaves) for root, leaves in batches)
        return text or None

    def garbage(self, line: str) -> list[str]:
        """A reply framed like the real one (terminator lines, braces, XmlDoc) with a value
        no parser can read: an unterminated quote, broken JSON, unclosed XML."""
        pieces = [self._out([line])] if self.echo else []
        is_command = self._top_word(line.strip().partition(" ")[0]) == "xcommand"
        if self.mode == "json":  # braces and quotes balanced (a framer can find its end), not JSON
            tag = _split_tag(line)[1]
            pieces.append(
                self._out(["{", '  "Status": @#% 0xDEADBEEF,', f'  "ResultId": {json.dumps(tag or "")}', "}"])
            )
        elif self.mode == "xml":
            pieces.append(self._out(['<XmlDoc resultId="">', "<Status>", "  <Unclosed>", "</XmlDoc>"]))
        elif is_command:
            pieces.append(
                self._out(["", "OK", "*r Result (status=OK): ", '*r Result CallId: "@#%', "** end"])
            )
        else:
            pieces.append(self._out(['*s SystemUnit @#%: "unterminated', "** end", "", "OK"]))
        return pieces

    def noise(self) -> str:
        """Room analytics feedback as in [PD]; harmless to any driver of calls and health."""
        return self._render_feedback("Status", [Leaf(("RoomAnalytics", "Sound", "Level", "A"), "39")])

    # ----------------------------------------------------------------- builtins

    def _top_word(self, word: str) -> str | None:
        """The top-level word a (possibly abbreviated) first word names; None if unknown or
        ambiguous (INFERRED: any unique prefix, as readline-style shells accept)."""
        if word == "?":
            return "?"
        low = word.lower()
        hits = [w for w in _TOP_WORDS if w.startswith(low)] if low else []
        if low in hits:
            return low
        return hits[0] if len(hits) == 1 else None

    def _echo(self, rest: str) -> str:
        arg = rest.strip().lower()
        if arg not in ("on", "off"):
            return self._out(["echo usage:", "  echo <on/off>", "OK"])  # INFERRED, like xpreferences
        self.echo = arg == "on"
        return self._out(["", "OK"]) if self.mode == "terminal" else ""

    def _help(self) -> str:
        """The RoomOS 11 list of [LAB] (16-column layout)."""
        rows = [_TOP_WORDS[:5], _TOP_WORDS[5:10], _TOP_WORDS[10:]]
        return self._out(["- User Commands -", *("".join(f"{w:16}" for w in r).rstrip() for r in rows), "OK"])

    def _preferences(self, rest: str) -> str:
        words = rest.lower().split()
        if len(words) == 2 and words[0] == "outputmode" and words[1] in ("terminal", "xml", "json"):
            self.mode = words[1]
            return self._out(["", "OK"]) if self.mode == "terminal" else ""
        return self._out(["xpreferences usage:", "  xpreferences outputmode <terminal/xml/json>", "OK"])

    # ----------------------------------------------------------------- xStatus / xConfiguration

    def _status_query(self, rest: str, tag: str | None) -> _Reply:
        try:
            words, key = _path_words(_Cursor(rest))
        except _Syntax:
            words, key = rest.split(), ":"
        query = tuple(words)
        if key is not None or not _valid_status_query(query):
            return _Reply("error", "Status", fields=self._path_error("Status", query), tag=tag)
        leaves = [leaf for leaf in self._status_leaves() if _match(query, leaf.path)]
        return _Reply("data", "Status", leaves, tag=tag)

    def _path_error(self, root: str, tokens: tuple[str, ...], full_stop: bool = False) -> list[Leaf]:
        """Reason/XPath of a bad address; configuration *set* replies end the reason with a
        full stop ([ACA], jsxapi rpc.spec createSetResponse), get replies do not ([JSX])."""
        reason = "No match on address expression" + ("." if full_stop else "")
        return [Leaf(("Reason",), reason, True), Leaf(("XPath",), _xpath(root, tokens), True)]

    def _configuration(self, rest: str, tag: str | None) -> _Reply:
        cursor = _Cursor(rest)
        try:
            words, key = _path_words(cursor)
        except _Syntax:
            words, key = rest.split(), None
        if key is None:
            query = tuple(words)
            leaves = [leaf for leaf in self._config_leaves() if _match(query, leaf.path)]
            if not leaves:
                return _Reply(
                    "error", "Configuration", fields=self._path_error("Configuration", query), tag=tag
                )
            return _Reply("data", "Configuration", leaves, tag=tag)
        self.state.stats.config_writes += 1
        path = (*words, *_split_name(key))
        target = next((k for k in _CONFIG if _exact(path, tuple(k.split()))), None)
        if target is None:
            fields = self._path_error("Configuration", path, full_stop=True)
            return _Reply("error", "Configuration", fields=fields, tag=tag)
        space = _CONFIG[target][0]
        try:
            raw = cursor.value()
            stray = not cursor.done()
        except _Syntax:
            raw, stray = "", True
        value = None if stray else space.accept(raw)
        if value is None:  # INFERRED: refused values are not stored
            leaf = Leaf(tuple(target.split()), "Illegal value", True, attr="error")
            return _Reply("data", "Configuration", [leaf], tag=tag, ok=False)
        self.state.config[target] = value
        return _Reply("data", "Configuration", tag=tag)

    def _config(self, key: str) -> str:
        return self.state.config.get(key, _CONFIG[key][1])

    def _config_leaves(self) -> list[Leaf]:
        return sorted(
            (
                Leaf(tuple(k.split()), self._config(k), space.quoted, space.ref)
                for k, (space, _) in _CONFIG.items()
            ),
            key=lambda leaf: _key(leaf.path),
        )

    # ----------------------------------------------------------------- the status tree

    def _software(self) -> tuple[str, str, str]:
        """(release, build id, release date) of ``state.firmware`` (``ce11.14.1.5``,
        ``ce11_14_1_5``, ``RoomOS 11.14.1.5`` or with a build id appended)."""
        text = self.state.firmware.strip().removeprefix("RoomOS").strip().removeprefix("ce").strip()
        parts = text.replace("_", ".").replace(" ", ".").split(".")
        build = parts.pop() if len(parts) > 4 else ""
        release = ".".join(parts)
        known_build, date = _RELEASES.get(release, ("", "2024-02-29"))  # INFERRED date fallback
        derived = hashlib.sha1(release.encode()).hexdigest()[:11]
        return release, build or known_build or derived, date

    def _status_leaves(self, call: CallState | None = None) -> list[Leaf]:
        """The whole status tree of this device, sorted as the device prints it."""
        st = self.state
        tree = _Tree()
        add = tree.add
        release, build, date = self._software()
        platform, software_name, camera_model = _MODELS.get(
            st.model, (st.model.removeprefix("Cisco "), "s53200", "Integrated Camera")
        )
        version = f"ce{release}.{build}"
        add("SystemUnit ProductId", st.model, True)
        add("SystemUnit ProductPlatform", platform, True)
        add("SystemUnit ProductType", "Cisco Codec", True)
        add("SystemUnit Software Name", software_name, True)
        add("SystemUnit Software Version", version, True)
        add("SystemUnit Software DisplayName", f"RoomOS {release} {build}", True)
        add("SystemUnit Software ReleaseDate", date, True)
        add("SystemUnit Hardware Module SerialNumber", st.serial, True)
        temp = "Normal" if st.temperature_c < 70 else "High" if st.temperature_c < 85 else "Critical"
        add("SystemUnit Hardware Monitoring Temperature Status", temp)
        add("SystemUnit Uptime", st.uptime_s)
        add("Standby State", "Off")
        add("Audio Volume", self._config("Audio DefaultVolume"))  # INFERRED: no volume state
        add("Audio Microphones Mute", "On" if st.muted else "Off")
        add("Audio Input Connectors Microphone 1 ConnectionStatus",
            "Connected" if st.microphones_connected else "NotConnected")  # fmt: skip
        add("Cameras Camera 1 Connected", "True" if st.camera_connected else "False")
        add("Cameras Camera 1 Manufacturer", "Cisco", True)
        add("Cameras Camera 1 Model", camera_model, True)
        for n, (kind, connected) in enumerate((("Camera", st.camera_connected), ("HDMI", False)), 1):
            add(f"Video Input Connector {n} Connected", "True" if connected else "False")
            add(f"Video Input Connector {n} SignalState", "OK" if connected else "NotFound")
            add(f"Video Input Connector {n} SourceId", n)
            add(f"Video Input Connector {n} Type", kind)
        touch = f"Peripherals ConnectedDevice {_TOUCH_ID}"
        mac = ":".join(hashlib.sha1(st.serial.encode()).hexdigest()[i : i + 2] for i in range(0, 12, 2))
        for name, value in (("HardwareInfo", "101282-0"), ("ID", mac), ("Name", "Cisco TelePresence Touch"),
                            ("SoftwareInfo", version)):  # fmt: skip
            add(f"{touch} {name}", value, True)
        add(f"{touch} Status", "Connected")
        add(f"{touch} Type", "TouchPanel")
        add(f"{touch} UpgradeStatus", "None")
        registered = st.sip_registered
        add("SIP Registration 1 Reason", "" if registered else "Request Timeout", True)  # INFERRED reason
        add("SIP Registration 1 Status", "Registered" if registered else "Failed")
        add("SIP Registration 1 URI", self._config("SIP URI"), True)
        add("Time SystemTime", self._system_time(), True)
        if "no_ntp_status" not in self.variants:
            self._ntp_leaves(tree)
        self._upgrade_leaves(tree, f"ce{release} {build} {date}")
        current = call if call is not None else st.call
        if current is not None and current.call_id not in self.ended:
            self._call_leaves(tree, current)
        connected = (
            current is not None and current.call_id not in self.ended and current.status == "connected"
        )
        in_progress = current is not None and current.call_id not in self.ended and not connected
        add("SystemUnit State NumberOfActiveCalls", int(connected))
        add("SystemUnit State NumberOfInProgressCalls", int(in_progress))
        add("SystemUnit State System", "InCall" if connected else "Initialized")
        return sorted(tree.leaves, key=lambda leaf: _key(leaf.path))

    def _system_time(self) -> str:
        """The device's clock (true time + ``state.clock_offset_s``) as local time of the
        configured ``Time Zone``: ``2021-03-02T14:06:31-0500`` [AVIX]."""
        zone = _zone(self._config("Time Zone"))
        now = datetime.fromtimestamp(_wallclock() + self.state.clock_offset_s, zone)
        return now.strftime("%Y-%m-%dT%H:%M:%S%z")

    def _ntp_leaves(self, tree: _Tree) -> None:
        """``NetworkServices NTP`` [SCHEMA] as the on-premises SX20 shows it [AVIX]: Status,
        CurrentAddress (the first configured server, INFERRED), and every Server n Address."""
        add = tree.add
        servers = [self._config(f"NetworkServices NTP Server {n} Address") for n in (1, 2, 3)]
        off = self._config("NetworkServices NTP Mode") == "Off"
        current = "" if off else next((server for server in servers if server), "")
        synced = self.state.ntp_synced and bool(current)  # INFERRED: no server, no sync
        add("NetworkServices NTP CurrentAddress", current, True)
        for n, server in enumerate(servers, 1):
            add(f"NetworkServices NTP Server {n} Address", server, True)
        add("NetworkServices NTP Status", "Off" if off else "Synced" if synced else "NotSynced")

    def _upgrade_leaves(self, tree: _Tree, current: str) -> None:
        """Provisioning Software from ``state.upgrade`` ([SCHEMA] literals)."""
        add, up = tree.add, self.state.upgrade
        status, phase = {
            "downloading": ("InProgress", "Downloading"),
            "installing": ("InProgress", "Installing"),
            "succeeded": ("Succeeded", "None"),
            "failed": ("Failed", "None"),
        }.get(up.status if up else "", ("None", "None"))
        add("Provisioning Software Current VersionId", current, True)
        add("Provisioning Software UpgradeStatus Message", up.message if up else "", True)
        add("Provisioning Software UpgradeStatus Phase", phase)
        add("Provisioning Software UpgradeStatus Status", status)
        add("Provisioning Software UpgradeStatus URL", up.url if up else "", True)
        add("Provisioning Software UpgradeStatus VersionId", (up.version or "") if up else "", True)

    def _call_leaves(self, tree: _Tree, call: CallState) -> None:
        """``Call n ...`` [SCHEMA], and its MediaChannels while connected."""
        add = tree.add
        number, callback = _numbers(call)
        connected = call.status == "connected"
        prefix = f"Call {call.call_id}"
        auto = call.direction == "incoming" and self._config("Conference AutoAnswer Mode") == "On"
        add(f"{prefix} AnswerState", ("Autoanswered" if auto else "Answered") if connected else "Unanswered")
        add(f"{prefix} CallType", "Video")
        add(f"{prefix} CallbackNumber", callback, True)
        add(f"{prefix} DeviceType", "Endpoint")
        add(f"{prefix} Direction", call.direction.capitalize())
        add(f"{prefix} DisplayName", number, True)
        add(f"{prefix} Duration", call.duration_s if connected else 0)
        add(f"{prefix} Encryption Type", "Aes-128" if call.protocol == "spark" else "None", True)
        add(f"{prefix} PlacedOnHold", "False")
        add(f"{prefix} Protocol", _PROTOCOL.get(call.protocol, "Unknown"))
        add(f"{prefix} ReceiveCallRate", call.rate if connected else 0)
        add(f"{prefix} RemoteNumber", number, True)
        add(f"{prefix} Status", _CALL_STATUS.get(call.status, call.status.capitalize()))
        add(f"{prefix} TransmitCallRate", call.rate if connected else 0)
        if connected:
            self._media_leaves(tree, call)

    def _media_leaves(self, tree: _Tree, call: CallState) -> None:
        """Four channels (audio/video each way) with cumulative Netstat counters [AVIX, SCHEMA]:
        ``Packets`` received and ``Loss`` lost since the call connected, at 50 pps of audio and
        the video channel rate in ~1100-byte packets; ``packet_loss_pct`` of the packets sent
        are lost. ``LastInterval*`` count the last whole 5 s interval, ``Jitter`` is
        ``state.jitter_ms`` and ``MaxJitter`` a quarter above it. Outgoing channels carry the
        same counters, as the far end reports them (INFERRED: one link, both ways)."""
        add = tree.add
        st = self.state
        seconds = max(time.monotonic() - call.started, 1.0)  # the first second counts at once
        pct = max(0.0, min(100.0, st.packet_loss_pct)) / 100
        jitter = max(0, round(st.jitter_ms))
        video_rate = max(call.rate - 64, 64)
        closed = int(seconds // _INTERVAL_S) * _INTERVAL_S  # end of the last whole interval
        for k, (direction, kind) in enumerate(
            (("Incoming", "Audio"), ("Incoming", "Video"), ("Outgoing", "Audio"), ("Outgoing", "Video"))
        ):
            channel = f"MediaChannels Call {call.call_id} Channel {call.call_id * 4 + k}"
            pps = 50 if kind == "Audio" else max(video_rate // 9, 1)
            received, lost = _netstat(pps, seconds, pct)
            at_end, lost_at_end = _netstat(pps, closed, pct)
            at_start, lost_at_start = _netstat(pps, max(closed - _INTERVAL_S, 0), pct)
            add(f"{channel} Direction", direction)
            add(f"{channel} Encryption", "On" if call.protocol == "spark" else "Off")
            add(f"{channel} {kind} Protocol", "Opus" if kind == "Audio" else "H264")
            add(f"{channel} Netstat Bytes", received * (160 if kind == "Audio" else 1100))
            add(f"{channel} Netstat ChannelRate", 64000 if kind == "Audio" else video_rate * 1000)
            add(f"{channel} Netstat Jitter", jitter)
            add(f"{channel} Netstat LastIntervalLost", lost_at_end - lost_at_start)
            add(f"{channel} Netstat LastIntervalReceived", at_end - at_start)
            add(f"{channel} Netstat Loss", lost)
            add(f"{channel} Netstat MaxJitter", jitter + jitter // 4)
            add(f"{channel} Netstat Packets", received)
            add(f"{channel} Type", kind)

    # ----------------------------------------------------------------- events

    def _disconnect_fields(self, call: CallState, cause: str) -> list[Leaf]:
        """CallDisconnect in [CE92]'s order, then the RoomOS-only fields (INFERRED order)."""
        number, callback = _numbers(call)
        ctype, cvalue, sip_code, sip_text, q850 = _CAUSES.get(cause, _CAUSES["RemoteDisconnect"])
        h323 = call.protocol == "h323"
        return [
            Leaf(("CauseValue",), str(cvalue)),
            Leaf(("CauseType",), ctype, True),
            Leaf(("CauseString",), "" if h323 else sip_text, True),
            Leaf(("OrigCallDirection",), call.direction, True),
            Leaf(("RemoteURI",), callback, True),
            Leaf(("DisplayName",), number, True),
            Leaf(("CallId",), str(call.call_id)),
            Leaf(("CauseCode",), str(q850 if h323 else sip_code)),
            Leaf(("CauseOrigin",), "Q850" if h323 else "SIP"),
            Leaf(("Protocol",), {"h323": "H323", "spark": "Spark"}.get(call.protocol, "Sip")),
            Leaf(("Duration",), str(call.duration_s if call.status == "connected" else 0)),
            Leaf(("CallType",), "Video"),
            Leaf(("CallRate",), str(call.rate)),
            Leaf(("Encryption",), "Aes-128" if call.protocol == "spark" else "None", True),
            Leaf(("RequestedURI",), callback, True),
            Leaf(("PeopleCountAverage",), "0"),
        ]

    def _successful_fields(self, call: CallState) -> list[Leaf]:
        """CallSuccessful in the RoomOS 11 order of [LAB]."""
        _, callback = _numbers(call)
        encrypted = "On" if call.protocol == "spark" else "Off"
        return [
            Leaf(("Protocol",), {"h323": "H323", "spark": "Spark"}.get(call.protocol, "Sip"), True),
            Leaf(("Direction",), call.direction, True),
            Leaf(("RemoteURI",), callback, True),
            Leaf(("EncryptionIn",), encrypted, True),
            Leaf(("EncryptionOut",), encrypted, True),
            Leaf(("CallRate",), str(call.rate)),
            Leaf(("CallId",), str(call.call_id)),
        ]

    def _incoming_fields(self, call: CallState) -> list[Leaf]:
        number, callback = _numbers(call)
        return [
            Leaf(("CallId",), str(call.call_id)),
            Leaf(("DisplayNameValue",), number, True),
            Leaf(("RemoteURI",), callback, True),
        ]

    # ----------------------------------------------------------------- xFeedback

    def _feedback(self, rest: str, tag: str | None) -> str:
        sub, _, arg = rest.strip().partition(" ")
        sub, arg = sub.lower(), arg.strip()
        if sub == "list":
            return self._out([*sorted((r for r, _ in self.registrations), key=str.lower), "** end", "", "OK"])
        if sub == "deregisterall":
            self.registrations.clear()
            return self._ack(tag)
        if sub not in ("register", "deregister"):
            reason = [Leaf(("Reason",), "Unknown subcommand", True)]  # INFERRED
            return self._render(_Reply("error", "Feedback", fields=reason, tag=tag))
        typed = "/" + arg.lstrip("/")
        tokens = tuple(t for part in arg.strip("/").split("/") if part for t in _split_name(part.strip()))
        if not tokens or tokens[0].lower() not in ("status", "configuration", "event") or " " in arg:
            fields = self._path_error("Feedback", tokens)  # INFERRED form of a refused expression
            return self._render(_Reply("error", "Feedback", fields=fields, tag=tag))
        known = [r for r in self.registrations if r[1] == tokens or r[0].lower() == typed.lower()]
        if sub == "deregister":
            self.registrations = [r for r in self.registrations if r not in known]
        elif not known:
            if len(self.registrations) >= _FEEDBACK_LIMIT:
                reason = [Leaf(("Reason",), f"Max {_FEEDBACK_LIMIT} expressions", True)]  # INFERRED
                return self._render(_Reply("error", "Feedback", fields=reason, tag=tag))
            if not self.registrations:  # what changes from now on is news; what came before is not
                self.seen = self._snapshot()
            self.registrations.append((typed, tokens))
        return self._ack(tag)

    def _ack(self, tag: str | None) -> str:
        """Data-less success: ``** end``/blank/``OK``, or ``{"ResultId": ...}`` [JSX, ACA]."""
        return self._render(_Reply("data", "Status", tag=tag))

    def _registered(self, path: tuple[str, ...], ghost: bool = False) -> bool:
        return any(_match(tokens, path, ancestor_ok=ghost) for _, tokens in self.registrations)

    def _snapshot(self, call: CallState | None = None) -> dict[tuple[str, ...], Leaf]:
        leaves = [Leaf(("Status", *x.path), x.value, x.quoted) for x in self._status_leaves(call)]
        leaves += [Leaf(("Configuration", *x.path), x.value, x.quoted, x.ref) for x in self._config_leaves()]
        return {leaf.path: leaf for leaf in leaves}

    def _diff_batches(self, call: CallState | None = None) -> list[tuple[str, list[Leaf]]]:
        """What changed since this session last looked, as registered feedback batches: one
        per top-level node [PD]; removed instances become ghosts [XAPI]; ticking counters
        (Uptime, Duration, Netstat) are not pushed (INFERRED)."""
        old, new = self.seen, self._snapshot(call)
        self.seen = new
        changed = [leaf for path, leaf in new.items() if path not in old or
                   (old[path].value != leaf.value and not _ticks(path))]  # fmt: skip
        gone = {_instance(p) for p in old if p not in new} - {_instance(p) for p in new}
        ghosts = [Leaf(g, attr="ghost") for g in gone if g is not None]
        batches: dict[tuple[str, ...], list[Leaf]] = {}
        for leaf in [*changed, *ghosts]:
            if self._registered(leaf.path, ghost=leaf.attr == "ghost"):
                batches.setdefault(leaf.path[:2], []).append(leaf._replace(path=leaf.path[1:]))
        return [
            (key[0], sorted(leaves, key=lambda x: _key(x.path))) for key, leaves in sorted(batches.items())
        ]

    def _diff_feedback(self) -> str:
        return "".join(self._render_feedback(root, leaves) for root, leaves in self._diff_batches())

    def _render_feedback(self, root: str, leaves: list[Leaf]) -> str:
        """One feedback batch, shaped exactly like a query result, without ResultId [XAPI]."""
        if self.mode == "terminal":
            return self._out([*(self._term_line(root, leaf) for leaf in leaves), "** end"])
        return self._doc({root: _nest(leaves)}, None)

    # ----------------------------------------------------------------- xCommand

    def _command(self, rest: str, tag: str | None, after: list[str]) -> _Reply:
        cursor = _Cursor(rest)
        try:
            words, first_key = _path_words(cursor)
        except _Syntax:
            words, first_key = rest.split(), None
        spec = _COMMAND_INDEX.get(tuple(w.lower() for w in words))
        if spec is None:
            fields = [
                Leaf(("Reason",), "Unknown command", True),
                Leaf(("XPath",), "/" + "/".join(words), True),
            ]
            return _Reply("command", "Result", status="Error", fields=fields, tag=tag)
        if spec.words == ("Dial",):
            self.state.stats.dials += 1  # accepted or refused
        try:
            args = self._arguments(spec, cursor, first_key)
            fields = getattr(self, spec.handler)(args, after)
        except _CommandFailed as failed:
            reason = [Leaf(("Reason",), failed.reason, True)] if failed.reason else []
            return _Reply("command", spec.result, status=failed.status, fields=reason, tag=tag)
        return _Reply("command", spec.result, fields=fields, tag=tag)

    def _arguments(self, spec: _Cmd, cursor: _Cursor, first_key: str | None) -> dict[str, str]:
        """Checked parameters by canonical name; any flaw is a ParameterError [JSX]."""
        try:
            pairs = _params(cursor, first_key)
        except _Syntax:
            raise _CommandFailed("ParameterError") from None
        args: dict[str, str] = {}
        for key, raw in pairs:
            param = spec.params.get(key.lower())
            if param is None or param[0] in args:  # unknown or repeated
                raise _CommandFailed("ParameterError")
            value = param[1].accept(raw)
            if value is None:
                raise _CommandFailed("ParameterError")
            args[param[0]] = value
        if any(required and name not in args for name, _, required in spec.params.values()):
            raise _CommandFailed("ParameterError")
        return args

    def _cmd_dial(self, args: dict[str, str], after: list[str]) -> list[Leaf]:
        st = self.state
        if not args["Number"]:
            raise _CommandFailed("ParameterError")
        if st.call is not None:
            raise _CommandFailed("Error", "Max number of calls reached")  # INFERRED reason
        protocol = args.get("Protocol") or self._config("Conference DefaultCall Protocol")
        protocol = {"Auto": "Sip"}.get(protocol, protocol).lower()
        rate = int(args.get("CallRate") or self._config("Conference DefaultCall Rate"))
        call = st.new_call(args["Number"], rate, protocol, "outgoing", "dialling")
        self.ended.discard(call.call_id)
        self.hooks.dial(call)
        # INFERRED: ConferenceId one below CallId, as in the C90 guide's example (2 / 1).
        return [Leaf(("CallId",), str(call.call_id)), Leaf(("ConferenceId",), str(call.call_id - 1))]

    def _cmd_disconnect(self, args: dict[str, str], after: list[str]) -> list[Leaf]:
        call_id = int(args.get("CallId", "0")) or None
        if not self.hooks.hangup(call_id):
            raise _CommandFailed(
                "Error", "No active call" if call_id is None else f"No call with CallId {call_id}"
            )
        return []

    def _cmd_mute(self, args: dict[str, str], after: list[str]) -> list[Leaf]:
        self.state.muted = True
        return []

    def _cmd_unmute(self, args: dict[str, str], after: list[str]) -> list[Leaf]:
        self.state.muted = False
        return []

    def _cmd_toggle_mute(self, args: dict[str, str], after: list[str]) -> list[Leaf]:
        self.state.muted = not self.state.muted
        return []

    def _cmd_upgrade(self, args: dict[str, str], after: list[str]) -> list[Leaf]:
        if self.state.upgrading:
            raise _CommandFailed("Error", "Software upgrade already in progress")  # INFERRED reason
        self.hooks.upgrade(args["URL"])
        return []

    def _cmd_boot(self, args: dict[str, str], after: list[str]) -> list[Leaf]:
        after.append("reboot")  # Shutdown too: the simulated device always comes back
        return []

    def _cmd_noop(self, args: dict[str, str], after: list[str]) -> list[Leaf]:
        return []

    # ----------------------------------------------------------------- output

    def _out(self, lines: list[str]) -> str:
        return "".join(line + self.eol for line in lines)

    def _term_line(self, root: str, leaf: Leaf) -> str:
        path = " ".join(leaf.path)
        if root == "Status":
            head = f"*s {path}"
        elif root == "Configuration":
            head = f"*c xConfiguration {path}"
        else:
            head = f"*e {path}"
        if leaf.attr:  # ghost [XAPI]; error is INFERRED by analogy
            return f"{head} ({leaf.attr}=True):" + (f" {_term_value(leaf)}" if leaf.attr == "error" else "")
        return f"{head}: {_term_value(leaf)}"

    def _render(self, reply: _Reply) -> str:
        if self.mode != "terminal":
            return self._doc(self._reply_doc(reply), reply.tag)
        tag = [f"** resultId: {_quote(reply.tag)}"] if reply.tag is not None else []
        if reply.kind == "data":
            lines = [self._term_line(reply.root, leaf) for leaf in reply.leaves]
            return self._out([*lines, *tag, "** end", "", "OK" if reply.ok else "ERROR"])
        header = f"*r {reply.root} (status={reply.status}): "
        if "indented_results" in self.variants:
            body = [f"    {' '.join(f.path)}: {_term_value(f)}" for f in reply.fields]
        else:
            body = [f"*r {reply.root} {' '.join(f.path)}: {_term_value(f)}" for f in reply.fields]
        block = [header, *body, *tag, "** end"]
        if reply.kind == "error":
            return self._out([*block, "", "ERROR"])
        word = "OK" if reply.status == "OK" else "ERROR"
        if "ok_after_result" in self.variants:
            return self._out([*block, word])
        return self._out(["", word, *block])

    def _reply_doc(self, reply: _Reply) -> dict[str, object]:
        """The JSON-shaped document of a reply (XML is rendered from the same shape)."""
        if reply.kind == "data":
            return {reply.root: _nest(reply.leaves)} if reply.leaves else {}
        result: dict[str, object] = {"status": reply.status}
        result.update(_nest(reply.fields))
        return {"CommandResponse": {reply.root: result}}

    def _doc(self, doc: dict[str, object], tag: str | None) -> str:
        if self.mode == "xml":
            body = doc.get("CommandResponse", doc)
            assert isinstance(body, dict)
            lines = [f'<XmlDoc resultId="{_xml_escape(tag or "")}">']
            for name, node in body.items():
                lines += _xml_lines(name, node, 0)
            return self._out([*lines, "</XmlDoc>"])
        if tag is not None and doc and "json_resultid_comma_first" in self.variants:
            text = json.dumps(doc, indent=2, ensure_ascii=False).removesuffix("\n}")
            text += f'\n  ,"ResultId": {json.dumps(tag, ensure_ascii=False)}\n}}'
        else:
            if tag is not None:
                doc = {**doc, "ResultId": tag}
            text = json.dumps(doc, indent=2, ensure_ascii=False) if doc else "{\n}"  # INFERRED empty form
        return self._out(text.split("\n"))


class _Tree:
    """Collects status leaves; ``add("Call 3 Status", "Dialling")`` splits the path."""

    def __init__(self) -> None:
        self.leaves: list[Leaf] = []

    def add(self, path: str, value: object, quoted: bool = False) -> None:
        self.leaves.append(Leaf(tuple(path.split()), str(value), quoted))


def _exact(query: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """A set names one leaf in full: same length, no omitted index (INFERRED)."""
    return len(query) == len(path) and _match(query, path)


def _ticks(path: tuple[str, ...]) -> bool:
    """Counters and clocks that change every second and are not pushed as feedback (INFERRED)."""
    return path[-1] in ("Uptime", "Duration", "SystemTime") or "Netstat" in path


def _netstat(pps: int, seconds: float, loss: float) -> tuple[int, int]:
    """(packets received, packets lost) of a channel open ``seconds`` at ``pps`` packets a
    second, losing the fraction ``loss`` of what was sent: both cumulative [AVIX]."""
    sent = int(pps * seconds)
    lost = round(sent * loss)
    return sent - lost, lost


def _zone(name: str) -> tzinfo:
    """The configured ``Time Zone``; a name this machine's tz database lacks is UTC (INFERRED)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _instance(path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The outermost indexed node of a path (``Status Call 3``), for ghosts."""
    for i, token in enumerate(path):
        if _is_index(token):
            return path[: i + 1]
    return None


def _numbers(call: CallState) -> tuple[str, str]:
    """(RemoteNumber/DisplayName, CallbackNumber with its ``sip:``/``h323:``/``spark:`` prefix)."""
    scheme, sep, rest = call.remote.partition(":")
    if sep and scheme.lower() in ("sip", "h323", "spark", "tel"):
        return rest, call.remote
    return call.remote, f"{call.protocol}:{call.remote}"
