use core::fmt::{self, Debug, Display, Formatter};
use core::str::FromStr;

use crate::timezone_impl::{TimeSpans, FixedTimespanSet};

/// TimeZones built at compile time from the tz database
///
/// This implements [`chrono::TimeZone`] so that it may be used in and to
/// construct chrono's DateTime type. See the root module documentation
/// for details.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tz {
    /// Africa/Abidjan
    Africa__Abidjan,
    /// Africa/Accra
    Africa__Accra,
    /// Africa/Addis_Ababa
    Africa__Addis_Ababa,
    /// Africa/Algiers
    Africa__Algiers,
    /// Africa/Asmara
    Africa__Asmara,
    /// Africa/Asmera
    Africa__Asmera,
    /// Africa/Bamako
    Africa__Bamako,
    /// Africa/Bangui
    Africa__Bangui,
    /// Africa/Banjul
    Africa__Banjul,
    /// Africa/Bissau
    Africa__Bissau,
    /// Africa/Blantyre
    Africa__Blantyre,
    /// Africa/Brazzaville
    Africa__Brazzaville,
    /// Africa/Bujumbura
    Africa__Bujumbura,
    /// Africa/Cairo
    Africa__Cairo,
    /// Africa/Casablanca
    Africa__Casablanca,
    /// Africa/Ceuta
    Africa__Ceuta,
    /// Africa/Conakry
    Africa__Conakry,
    /// Africa/Dakar
    Africa__Dakar,
    /// Africa/Dar_es_Salaam
    Africa__Dar_es_Salaam,
    /// Africa/Djibouti
    Africa__Djibouti,
    /// Africa/Douala
    Africa__Douala,
    /// Africa/El_Aaiun
    Africa__El_Aaiun,
    /// Africa/Freetown
    Africa__Freetown,
    /// Africa/Gaborone
    Africa__Gaborone,
    /// Africa/Harare
    Africa__Harare,
    /// Africa/Johannesburg
    Africa__Johannesburg,
    /// Africa/Juba
    Africa__Juba,
    /// Africa/Kampala
    Africa__Kampala,
    /// Africa/Khartoum
    Africa__Khartoum,
    /// Africa/Kigali
    Africa__Kigali,
    /// Africa/Kinshasa
    Africa__Kinshasa,
    /// Africa/Lagos
    Africa__Lagos,
    /// Africa/Libreville
    Africa__Libreville,
    /// Africa/Lome
    Africa__Lome,
    /// Africa/Luanda
    Africa__Luanda,
    /// Africa/Lubumbashi
    Africa__Lubumbashi,
    /// Africa/Lusaka
    Africa__Lusaka,
    /// Africa/Malabo
    Africa__Malabo,
    /// Africa/Maputo
    Africa__Maputo,
    /// Africa/Maseru
    Africa__Maseru,
    /// Africa/Mbabane
    Africa__Mbabane,
    /// Africa/Mogadishu
    Africa__Mogadishu,
    /// Africa/Monrovia
    Africa__Monrovia,
    /// Africa/Nairobi
    Africa__Nairobi,
    /// Africa/Ndjamena
    Africa__Ndjamena,
    /// Africa/Niamey
    Africa__Niamey,
    /// Africa/Nouakchott
    Africa__Nouakchott,
    /// Africa/Ouagadougou
    Africa__Ouagadougou,
    /// Africa/Porto-Novo
    Africa__PortoNovo,
    /// Africa/Sao_Tome
    Africa__Sao_Tome,
    /// Africa/Timbuktu
    Africa__Timbuktu,
    /// Africa/Tripoli
    Africa__Tripoli,
    /// Africa/Tunis
    Africa__Tunis,
    /// Africa/Windhoek
    Africa__Windhoek,
    /// America/Adak
    America__Adak,
    /// America/Anchorage
    America__Anchorage,
    /// America/Anguilla
    America__Anguilla,
    /// America/Antigua
    America__Antigua,
    /// America/Araguaina
    America__Araguaina,
    /// America/Argentina/Buenos_Aires
    America__Argentina__Buenos_Aires,
    /// America/Argentina/Catamarca
    America__Argentina__Catamarca,
    /// America/Argentina/ComodRivadavia
    America__Argentina__ComodRivadavia,
    /// America/Argentina/Cordoba
    America__Argentina__Cordoba,
    /// America/Argentina/Jujuy
    America__Argentina__Jujuy,
    /// America/Argentina/La_Rioja
    America__Argentina__La_Rioja,
    /// America/Argentina/Mendoza
    America__Argentina__Mendoza,
    /// America/Argentina/Rio_Gallegos
    America__Argentina__Rio_Gallegos,
    /// America/Argentina/Salta
    America__Argentina__Salta,
    /// America/Argentina/San_Juan
    America__Argentina__San_Juan,
    /// America/Argentina/San_Luis
    America__Argentina__San_Luis,
    /// America/Argentina/Tucuman
    America__Argentina__Tucuman,
    /// America/Argentina/Ushuaia
    America__Argentina__Ushuaia,
    /// America/Aruba
    America__Aruba,
    /// America/Asuncion
    America__Asuncion,
    /// America/Atikokan
    America__Atikokan,
    /// America/Atka
    America__Atka,
    /// America/Bahia
    America__Bahia,
    /// America/Bahia_Banderas
    America__Bahia_Banderas,
    /// America/Barbados
    America__Barbados,
    /// America/Belem
    America__Belem,
    /// America/Belize
    America__Belize,
    /// America/Blanc-Sablon
    America__BlancSablon,
    /// America/Boa_Vista
    America__Boa_Vista,
    /// America/Bogota
    America__Bogota,
    /// America/Boise
    America__Boise,
    /// America/Buenos_Aires
    America__Buenos_Aires,
    /// America/Cambridge_Bay
    America__Cambridge_Bay,
    /// America/Campo_Grande
    America__Campo_Grande,
    /// America/Cancun
    America__Cancun,
    /// America/Caracas
    America__Caracas,
    /// America/Catamarca
    America__Catamarca,
    /// America/Cayenne
    America__Cayenne,
    /// America/Cayman
    America__Cayman,
    /// America/Chicago
    America__Chicago,
    /// America/Chihuahua
    America__Chihuahua,
    /// America/Ciudad_Juarez
    America__Ciudad_Juarez,
    /// America/Coral_Harbour
    America__Coral_Harbour,
    /// America/Cordoba
    America__Cordoba,
    /// America/Costa_Rica
    America__Costa_Rica,
    /// America/Coyhaique
    America__Coyhaique,
    /// America/Creston
    America__Creston,
    /// America/Cuiaba
    America__Cuiaba,
    /// America/Curacao
    America__Curacao,
    /// America/Danmarkshavn
    America__Danmarkshavn,
    /// America/Dawson
    America__Dawson,
    /// America/Dawson_Creek
    America__Dawson_Creek,
    /// America/Denver
    America__Denver,
    /// America/Detroit
    America__Detroit,
    /// America/Dominica
    America__Dominica,
    /// America/Edmonton
    America__Edmonton,
    /// America/Eirunepe
    America__Eirunepe,
    /// America/El_Salvador
    America__El_Salvador,
    /// America/Ensenada
    America__Ensenada,
    /// America/Fort_Nelson
    America__Fort_Nelson,
    /// America/Fort_Wayne
    America__Fort_Wayne,
    /// America/Fortaleza
    America__Fortaleza,
    /// America/Glace_Bay
    America__Glace_Bay,
    /// America/Godthab
    America__Godthab,
    /// America/Goose_Bay
    America__Goose_Bay,
    /// America/Grand_Turk
    America__Grand_Turk,
    /// America/Grenada
    America__Grenada,
    /// America/Guadeloupe
    America__Guadeloupe,
    /// America/Guatemala
    America__Guatemala,
    /// America/Guayaquil
    America__Guayaquil,
    /// America/Guyana
    America__Guyana,
    /// America/Halifax
    America__Halifax,
    /// America/Havana
    America__Havana,
    /// America/Hermosillo
    America__Hermosillo,
    /// America/Indiana/Indianapolis
    America__Indiana__Indianapolis,
    /// America/Indiana/Knox
    America__Indiana__Knox,
    /// America/Indiana/Marengo
    America__Indiana__Marengo,
    /// America/Indiana/Petersburg
    America__Indiana__Petersburg,
    /// America/Indiana/Tell_City
    America__Indiana__Tell_City,
    /// America/Indiana/Vevay
    America__Indiana__Vevay,
    /// America/Indiana/Vincennes
    America__Indiana__Vincennes,
    /// America/Indiana/Winamac
    America__Indiana__Winamac,
    /// America/Indianapolis
    America__Indianapolis,
    /// America/Inuvik
    America__Inuvik,
    /// America/Iqaluit
    America__Iqaluit,
    /// America/Jamaica
    America__Jamaica,
    /// America/Jujuy
    America__Jujuy,
    /// America/Juneau
    America__Juneau,
    /// America/Kentucky/Louisville
    America__Kentucky__Louisville,
    /// America/Kentucky/Monticello
    America__Kentucky__Monticello,
    /// America/Knox_IN
    America__Knox_IN,
    /// America/Kralendijk
    America__Kralendijk,
    /// America/La_Paz
    America__La_Paz,
    /// America/Lima
    America__Lima,
    /// America/Los_Angeles
    America__Los_Angeles,
    /// America/Louisville
    America__Louisville,
    /// America/Lower_Princes
    America__Lower_Princes,
    /// America/Maceio
    America__Maceio,
    /// America/Managua
    America__Managua,
    /// America/Manaus
    America__Manaus,
    /// America/Marigot
    America__Marigot,
    /// America/Martinique
    America__Martinique,
    /// America/Matamoros
    America__Matamoros,
    /// America/Mazatlan
    America__Mazatlan,
    /// America/Mendoza
    America__Mendoza,
    /// America/Menominee
    America__Menominee,
    /// America/Merida
    America__Merida,
    /// America/Metlakatla
    America__Metlakatla,
    /// America/Mexico_City
    America__Mexico_City,
    /// America/Miquelon
    America__Miquelon,
    /// America/Moncton
    America__Moncton,
    /// America/Monterrey
    America__Monterrey,
    /// America/Montevideo
    America__Montevideo,
    /// America/Montreal
    America__Montreal,
    /// America/Montserrat
    America__Montserrat,
    /// America/Nassau
    America__Nassau,
    /// America/New_York
    America__New_York,
    /// America/Nipigon
    America__Nipigon,
    /// America/Nome
    America__Nome,
    /// America/Noronha
    America__Noronha,
    /// America/North_Dakota/Beulah
    America__North_Dakota__Beulah,
    /// America/North_Dakota/Center
    America__North_Dakota__Center,
    /// America/North_Dakota/New_Salem
    America__North_Dakota__New_Salem,
    /// America/Nuuk
    America__Nuuk,
    /// America/Ojinaga
    America__Ojinaga,
    /// America/Panama
    America__Panama,
    /// America/Pangnirtung
    America__Pangnirtung,
    /// America/Paramaribo
    America__Paramaribo,
    /// America/Phoenix
    America__Phoenix,
    /// America/Port-au-Prince
    America__PortauPrince,
    /// America/Port_of_Spain
    America__Port_of_Spain,
    /// America/Porto_Acre
    America__Porto_Acre,
    /// America/Porto_Velho
    America__Porto_Velho,
    /// America/Puerto_Rico
    America__Puerto_Rico,
    /// America/Punta_Arenas
    America__Punta_Arenas,
    /// America/Rainy_River
    America__Rainy_River,
    /// America/Rankin_Inlet
    America__Rankin_Inlet,
    /// America/Recife
    America__Recife,
    /// America/Regina
    America__Regina,
    /// America/Resolute
    America__Resolute,
    /// America/Rio_Branco
    America__Rio_Branco,
    /// America/Rosario
    America__Rosario,
    /// America/Santa_Isabel
    America__Santa_Isabel,
    /// America/Santarem
    America__Santarem,
    /// America/Santiago
    America__Santiago,
    /// America/Santo_Domingo
    America__Santo_Domingo,
    /// America/Sao_Paulo
    America__Sao_Paulo,
    /// America/Scoresbysund
    America__Scoresbysund,
    /// America/Shiprock
    America__Shiprock,
    /// America/Sitka
    America__Sitka,
    /// America/St_Barthelemy
    America__St_Barthelemy,
    /// America/St_Johns
    America__St_Johns,
    /// America/St_Kitts
    America__St_Kitts,
    /// America/St_Lucia
    America__St_Lucia,
    /// America/St_Thomas
    America__St_Thomas,
    /// America/St_Vincent
    America__St_Vincent,
    /// America/Swift_Current
    America__Swift_Current,
    /// America/Tegucigalpa
    America__Tegucigalpa,
    /// America/Thule
    America__Thule,
    /// America/Thunder_Bay
    America__Thunder_Bay,
    /// America/Tijuana
    America__Tijuana,
    /// America/Toronto
    America__Toronto,
    /// America/Tortola
    America__Tortola,
    /// America/Vancouver
    America__Vancouver,
    /// America/Virgin
    America__Virgin,
    /// America/Whitehorse
    America__Whitehorse,
    /// America/Winnipeg
    America__Winnipeg,
    /// America/Yakutat
    America__Yakutat,
    /// America/Yellowknife
    America__Yellowknife,
    /// Antarctica/Casey
    Antarctica__Casey,
    /// Antarctica/Davis
    Antarctica__Davis,
    /// Antarctica/DumontDUrville
    Antarctica__DumontDUrville,
    /// Antarctica/Macquarie
    Antarctica__Macquarie,
    /// Antarctica/Mawson
    Antarctica__Mawson,
    /// Antarctica/McMurdo
    Antarctica__McMurdo,
    /// Antarctica/Palmer
    Antarctica__Palmer,
    /// Antarctica/Rothera
    Antarctica__Rothera,
    /// Antarctica/South_Pole
    Antarctica__South_Pole,
    /// Antarctica/Syowa
    Antarctica__Syowa,
    /// Antarctica/Troll
    Antarctica__Troll,
    /// Antarctica/Vostok
    Antarctica__Vostok,
    /// Arctic/Longyearbyen
    Arctic__Longyearbyen,
    /// Asia/Aden
    Asia__Aden,
    /// Asia/Almaty
    Asia__Almaty,
    /// Asia/Amman
    Asia__Amman,
    /// Asia/Anadyr
    Asia__Anadyr,
    /// Asia/Aqtau
    Asia__Aqtau,
    /// Asia/Aqtobe
    Asia__Aqtobe,
    /// Asia/Ashgabat
    Asia__Ashgabat,
    /// Asia/Ashkhabad
    Asia__Ashkhabad,
    /// Asia/Atyrau
    Asia__Atyrau,
    /// Asia/Baghdad
    Asia__Baghdad,
    /// Asia/Bahrain
    Asia__Bahrain,
    /// Asia/Baku
    Asia__Baku,
    /// Asia/Bangkok
    Asia__Bangkok,
    /// Asia/Barnaul
    Asia__Barnaul,
    /// Asia/Beirut
    Asia__Beirut,
    /// Asia/Bishkek
    Asia__Bishkek,
    /// Asia/Brunei
    Asia__Brunei,
    /// Asia/Calcutta
    Asia__Calcutta,
    /// Asia/Chita
    Asia__Chita,
    /// Asia/Choibalsan
    Asia__Choibalsan,
    /// Asia/Chongqing
    Asia__Chongqing,
    /// Asia/Chungking
    Asia__Chungking,
    /// Asia/Colombo
    Asia__Colombo,
    /// Asia/Dacca
    Asia__Dacca,
    /// Asia/Damascus
    Asia__Damascus,
    /// Asia/Dhaka
    Asia__Dhaka,
    /// Asia/Dili
    Asia__Dili,
    /// Asia/Dubai
    Asia__Dubai,
    /// Asia/Dushanbe
    Asia__Dushanbe,
    /// Asia/Famagusta
    Asia__Famagusta,
    /// Asia/Gaza
    Asia__Gaza,
    /// Asia/Harbin
    Asia__Harbin,
    /// Asia/Hebron
    Asia__Hebron,
    /// Asia/Ho_Chi_Minh
    Asia__Ho_Chi_Minh,
    /// Asia/Hong_Kong
    Asia__Hong_Kong,
    /// Asia/Hovd
    Asia__Hovd,
    /// Asia/Irkutsk
    Asia__Irkutsk,
    /// Asia/Istanbul
    Asia__Istanbul,
    /// Asia/Jakarta
    Asia__Jakarta,
    /// Asia/Jayapura
    Asia__Jayapura,
    /// Asia/Jerusalem
    Asia__Jerusalem,
    /// Asia/Kabul
    Asia__Kabul,
    /// Asia/Kamchatka
    Asia__Kamchatka,
    /// Asia/Karachi
    Asia__Karachi,
    /// Asia/Kashgar
    Asia__Kashgar,
    /// Asia/Kathmandu
    Asia__Kathmandu,
    /// Asia/Katmandu
    Asia__Katmandu,
    /// Asia/Khandyga
    Asia__Khandyga,
    /// Asia/Kolkata
    Asia__Kolkata,
    /// Asia/Krasnoyarsk
    Asia__Krasnoyarsk,
    /// Asia/Kuala_Lumpur
    Asia__Kuala_Lumpur,
    /// Asia/Kuching
    Asia__Kuching,
    /// Asia/Kuwait
    Asia__Kuwait,
    /// Asia/Macao
    Asia__Macao,
    /// Asia/Macau
    Asia__Macau,
    /// Asia/Magadan
    Asia__Magadan,
    /// Asia/Makassar
    Asia__Makassar,
    /// Asia/Manila
    Asia__Manila,
    /// Asia/Muscat
    Asia__Muscat,
    /// Asia/Nicosia
    Asia__Nicosia,
    /// Asia/Novokuznetsk
    Asia__Novokuznetsk,
    /// Asia/Novosibirsk
    Asia__Novosibirsk,
    /// Asia/Omsk
    Asia__Omsk,
    /// Asia/Oral
    Asia__Oral,
    /// Asia/Phnom_Penh
    Asia__Phnom_Penh,
    /// Asia/Pontianak
    Asia__Pontianak,
    /// Asia/Pyongyang
    Asia__Pyongyang,
    /// Asia/Qatar
    Asia__Qatar,
    /// Asia/Qostanay
    Asia__Qostanay,
    /// Asia/Qyzylorda
    Asia__Qyzylorda,
    /// Asia/Rangoon
    Asia__Rangoon,
    /// Asia/Riyadh
    Asia__Riyadh,
    /// Asia/Saigon
    Asia__Saigon,
    /// Asia/Sakhalin
    Asia__Sakhalin,
    /// Asia/Samarkand
    Asia__Samarkand,
    /// Asia/Seoul
    Asia__Seoul,
    /// Asia/Shanghai
    Asia__Shanghai,
    /// Asia/Singapore
    Asia__Singapore,
    /// Asia/Srednekolymsk
    Asia__Srednekolymsk,
    /// Asia/Taipei
    Asia__Taipei,
    /// Asia/Tashkent
    Asia__Tashkent,
    /// Asia/Tbilisi
    Asia__Tbilisi,
    /// Asia/Tehran
    Asia__Tehran,
    /// Asia/Tel_Aviv
    Asia__Tel_Aviv,
    /// Asia/Thimbu
    Asia__Thimbu,
    /// Asia/Thimphu
    Asia__Thimphu,
    /// Asia/Tokyo
    Asia__Tokyo,
    /// Asia/Tomsk
    Asia__Tomsk,
    /// Asia/Ujung_Pandang
    Asia__Ujung_Pandang,
    /// Asia/Ulaanbaatar
    Asia__Ulaanbaatar,
    /// Asia/Ulan_Bator
    Asia__Ulan_Bator,
    /// Asia/Urumqi
    Asia__Urumqi,
    /// Asia/Ust-Nera
    Asia__UstNera,
    /// Asia/Vientiane
    Asia__Vientiane,
    /// Asia/Vladivostok
    Asia__Vladivostok,
    /// Asia/Yakutsk
    Asia__Yakutsk,
    /// Asia/Yangon
    Asia__Yangon,
    /// Asia/Yekaterinburg
    Asia__Yekaterinburg,
    /// Asia/Yerevan
    Asia__Yerevan,
    /// Atlantic/Azores
    Atlantic__Azores,
    /// Atlantic/Bermuda
    Atlantic__Bermuda,
    /// Atlantic/Canary
    Atlantic__Canary,
    /// Atlantic/Cape_Verde
    Atlantic__Cape_Verde,
    /// Atlantic/Faeroe
    Atlantic__Faeroe,
    /// Atlantic/Faroe
    Atlantic__Faroe,
    /// Atlantic/Jan_Mayen
    Atlantic__Jan_Mayen,
    /// Atlantic/Madeira
    Atlantic__Madeira,
    /// Atlantic/Reykjavik
    Atlantic__Reykjavik,
    /// Atlantic/South_Georgia
    Atlantic__South_Georgia,
    /// Atlantic/St_Helena
    Atlantic__St_Helena,
    /// Atlantic/Stanley
    Atlantic__Stanley,
    /// Australia/ACT
    Australia__ACT,
    /// Australia/Adelaide
    Australia__Adelaide,
    /// Australia/Brisbane
    Australia__Brisbane,
    /// Australia/Broken_Hill
    Australia__Broken_Hill,
    /// Australia/Canberra
    Australia__Canberra,
    /// Australia/Currie
    Australia__Currie,
    /// Australia/Darwin
    Australia__Darwin,
    /// Australia/Eucla
    Australia__Eucla,
    /// Australia/Hobart
    Australia__Hobart,
    /// Australia/LHI
    Australia__LHI,
    /// Australia/Lindeman
    Australia__Lindeman,
    /// Australia/Lord_Howe
    Australia__Lord_Howe,
    /// Australia/Melbourne
    Australia__Melbourne,
    /// Australia/NSW
    Australia__NSW,
    /// Australia/North
    Australia__North,
    /// Australia/Perth
    Australia__Perth,
    /// Australia/Queensland
    Australia__Queensland,
    /// Australia/South
    Australia__South,
    /// Australia/Sydney
    Australia__Sydney,
    /// Australia/Tasmania
    Australia__Tasmania,
    /// Australia/Victoria
    Australia__Victoria,
    /// Australia/West
    Australia__West,
    /// Australia/Yancowinna
    Australia__Yancowinna,
    /// Brazil/Acre
    Brazil__Acre,
    /// Brazil/DeNoronha
    Brazil__DeNoronha,
    /// Brazil/East
    Brazil__East,
    /// Brazil/West
    Brazil__West,
    /// CET
    CET,
    /// CST6CDT
    CST6CDT,
    /// Canada/Atlantic
    Canada__Atlantic,
    /// Canada/Central
    Canada__Central,
    /// Canada/Eastern
    Canada__Eastern,
    /// Canada/Mountain
    Canada__Mountain,
    /// Canada/Newfoundland
    Canada__Newfoundland,
    /// Canada/Pacific
    Canada__Pacific,
    /// Canada/Saskatchewan
    Canada__Saskatchewan,
    /// Canada/Yukon
    Canada__Yukon,
    /// Chile/Continental
    Chile__Continental,
    /// Chile/EasterIsland
    Chile__EasterIsland,
    /// Cuba
    Cuba,
    /// EET
    EET,
    /// EST
    EST,
    /// EST5EDT
    EST5EDT,
    /// Egypt
    Egypt,
    /// Eire
    Eire,
    /// Etc/GMT
    Etc__GMT,
    /// Etc/GMT+0
    Etc__GMTPlus0,
    /// Etc/GMT+1
    Etc__GMTPlus1,
    /// Etc/GMT+10
    Etc__GMTPlus10,
    /// Etc/GMT+11
    Etc__GMTPlus11,
    /// Etc/GMT+12
    Etc__GMTPlus12,
    /// Etc/GMT+2
    Etc__GMTPlus2,
    /// Etc/GMT+3
    Etc__GMTPlus3,
    /// Etc/GMT+4
    Etc__GMTPlus4,
    /// Etc/GMT+5
    Etc__GMTPlus5,
    /// Etc/GMT+6
    Etc__GMTPlus6,
    /// Etc/GMT+7
    Etc__GMTPlus7,
    /// Etc/GMT+8
    Etc__GMTPlus8,
    /// Etc/GMT+9
    Etc__GMTPlus9,
    /// Etc/GMT-0
    Etc__GMTMinus0,
    /// Etc/GMT-1
    Etc__GMTMinus1,
    /// Etc/GMT-10
    Etc__GMTMinus10,
    /// Etc/GMT-11
    Etc__GMTMinus11,
    /// Etc/GMT-12
    Etc__GMTMinus12,
    /// Etc/GMT-13
    Etc__GMTMinus13,
    /// Etc/GMT-14
    Etc__GMTMinus14,
    /// Etc/GMT-2
    Etc__GMTMinus2,
    /// Etc/GMT-3
    Etc__GMTMinus3,
    /// Etc/GMT-4
    Etc__GMTMinus4,
    /// Etc/GMT-5
    Etc__GMTMinus5,
    /// Etc/GMT-6
    Etc__GMTMinus6,
    /// Etc/GMT-7
    Etc__GMTMinus7,
    /// Etc/GMT-8
    Etc__GMTMinus8,
    /// Etc/GMT-9
    Etc__GMTMinus9,
    /// Etc/GMT0
    Etc__GMT0,
    /// Etc/Greenwich
    Etc__Greenwich,
    /// Etc/UCT
    Etc__UCT,
    /// Etc/UTC
    Etc__UTC,
    /// Etc/Universal
    Etc__Universal,
    /// Etc/Zulu
    Etc__Zulu,
    /// Europe/Amsterdam
    Europe__Amsterdam,
    /// Europe/Andorra
    Europe__Andorra,
    /// Europe/Astrakhan
    Europe__Astrakhan,
    /// Europe/Athens
    Europe__Athens,
    /// Europe/Belfast
    Europe__Belfast,
    /// Europe/Belgrade
    Europe__Belgrade,
    /// Europe/Berlin
    Europe__Berlin,
    /// Europe/Bratislava
    Europe__Bratislava,
    /// Europe/Brussels
    Europe__Brussels,
    /// Europe/Bucharest
    Europe__Bucharest,
    /// Europe/Budapest
    Europe__Budapest,
    /// Europe/Busingen
    Europe__Busingen,
    /// Europe/Chisinau
    Europe__Chisinau,
    /// Europe/Copenhagen
    Europe__Copenhagen,
    /// Europe/Dublin
    Europe__Dublin,
    /// Europe/Gibraltar
    Europe__Gibraltar,
    /// Europe/Guernsey
    Europe__Guernsey,
    /// Europe/Helsinki
    Europe__Helsinki,
    /// Europe/Isle_of_Man
    Europe__Isle_of_Man,
    /// Europe/Istanbul
    Europe__Istanbul,
    /// Europe/Jersey
    Europe__Jersey,
    /// Europe/Kaliningrad
    Europe__Kaliningrad,
    /// Europe/Kiev
    Europe__Kiev,
    /// Europe/Kirov
    Europe__Kirov,
    /// Europe/Kyiv
    Europe__Kyiv,
    /// Europe/Lisbon
    Europe__Lisbon,
    /// Europe/Ljubljana
    Europe__Ljubljana,
    /// Europe/London
    Europe__London,
    /// Europe/Luxembourg
    Europe__Luxembourg,
    /// Europe/Madrid
    Europe__Madrid,
    /// Europe/Malta
    Europe__Malta,
    /// Europe/Mariehamn
    Europe__Mariehamn,
    /// Europe/Minsk
    Europe__Minsk,
    /// Europe/Monaco
    Europe__Monaco,
    /// Europe/Moscow
    Europe__Moscow,
    /// Europe/Nicosia
    Europe__Nicosia,
    /// Europe/Oslo
    Europe__Oslo,
    /// Europe/Paris
    Europe__Paris,
    /// Europe/Podgorica
    Europe__Podgorica,
    /// Europe/Prague
    Europe__Prague,
    /// Europe/Riga
    Europe__Riga,
    /// Europe/Rome
    Europe__Rome,
    /// Europe/Samara
    Europe__Samara,
    /// Europe/San_Marino
    Europe__San_Marino,
    /// Europe/Sarajevo
    Europe__Sarajevo,
    /// Europe/Saratov
    Europe__Saratov,
    /// Europe/Simferopol
    Europe__Simferopol,
    /// Europe/Skopje
    Europe__Skopje,
    /// Europe/Sofia
    Europe__Sofia,
    /// Europe/Stockholm
    Europe__Stockholm,
    /// Europe/Tallinn
    Europe__Tallinn,
    /// Europe/Tirane
    Europe__Tirane,
    /// Europe/Tiraspol
    Europe__Tiraspol,
    /// Europe/Ulyanovsk
    Europe__Ulyanovsk,
    /// Europe/Uzhgorod
    Europe__Uzhgorod,
    /// Europe/Vaduz
    Europe__Vaduz,
    /// Europe/Vatican
    Europe__Vatican,
    /// Europe/Vienna
    Europe__Vienna,
    /// Europe/Vilnius
    Europe__Vilnius,
    /// Europe/Volgograd
    Europe__Volgograd,
    /// Europe/Warsaw
    Europe__Warsaw,
    /// Europe/Zagreb
    Europe__Zagreb,
    /// Europe/Zaporozhye
    Europe__Zaporozhye,
    /// Europe/Zurich
    Europe__Zurich,
    /// GB
    GB,
    /// GB-Eire
    GBEire,
    /// GMT
    GMT,
    /// GMT+0
    GMTPlus0,
    /// GMT-0
    GMTMinus0,
    /// GMT0
    GMT0,
    /// Greenwich
    Greenwich,
    /// HST
    HST,
    /// Hongkong
    Hongkong,
    /// Iceland
    Iceland,
    /// Indian/Antananarivo
    Indian__Antananarivo,
    /// Indian/Chagos
    Indian__Chagos,
    /// Indian/Christmas
    Indian__Christmas,
    /// Indian/Cocos
    Indian__Cocos,
    /// Indian/Comoro
    Indian__Comoro,
    /// Indian/Kerguelen
    Indian__Kerguelen,
    /// Indian/Mahe
    Indian__Mahe,
    /// Indian/Maldives
    Indian__Maldives,
    /// Indian/Mauritius
    Indian__Mauritius,
    /// Indian/Mayotte
    Indian__Mayotte,
    /// Indian/Reunion
    Indian__Reunion,
    /// Iran
    Iran,
    /// Israel
    Israel,
    /// Jamaica
    Jamaica,
    /// Japan
    Japan,
    /// Kwajalein
    Kwajalein,
    /// Libya
    Libya,
    /// MET
    MET,
    /// MST
    MST,
    /// MST7MDT
    MST7MDT,
    /// Mexico/BajaNorte
    Mexico__BajaNorte,
    /// Mexico/BajaSur
    Mexico__BajaSur,
    /// Mexico/General
    Mexico__General,
    /// NZ
    NZ,
    /// NZ-CHAT
    NZCHAT,
    /// Navajo
    Navajo,
    /// PRC
    PRC,
    /// PST8PDT
    PST8PDT,
    /// Pacific/Apia
    Pacific__Apia,
    /// Pacific/Auckland
    Pacific__Auckland,
    /// Pacific/Bougainville
    Pacific__Bougainville,
    /// Pacific/Chatham
    Pacific__Chatham,
    /// Pacific/Chuuk
    Pacific__Chuuk,
    /// Pacific/Easter
    Pacific__Easter,
    /// Pacific/Efate
    Pacific__Efate,
    /// Pacific/Enderbury
    Pacific__Enderbury,
    /// Pacific/Fakaofo
    Pacific__Fakaofo,
    /// Pacific/Fiji
    Pacific__Fiji,
    /// Pacific/Funafuti
    Pacific__Funafuti,
    /// Pacific/Galapagos
    Pacific__Galapagos,
    /// Pacific/Gambier
    Pacific__Gambier,
    /// Pacific/Guadalcanal
    Pacific__Guadalcanal,
    /// Pacific/Guam
    Pacific__Guam,
    /// Pacific/Honolulu
    Pacific__Honolulu,
    /// Pacific/Johnston
    Pacific__Johnston,
    /// Pacific/Kanton
    Pacific__Kanton,
    /// Pacific/Kiritimati
    Pacific__Kiritimati,
    /// Pacific/Kosrae
    Pacific__Kosrae,
    /// Pacific/Kwajalein
    Pacific__Kwajalein,
    /// Pacific/Majuro
    Pacific__Majuro,
    /// Pacific/Marquesas
    Pacific__Marquesas,
    /// Pacific/Midway
    Pacific__Midway,
    /// Pacific/Nauru
    Pacific__Nauru,
    /// Pacific/Niue
    Pacific__Niue,
    /// Pacific/Norfolk
    Pacific__Norfolk,
    /// Pacific/Noumea
    Pacific__Noumea,
    /// Pacific/Pago_Pago
    Pacific__Pago_Pago,
    /// Pacific/Palau
    Pacific__Palau,
    /// Pacific/Pitcairn
    Pacific__Pitcairn,
    /// Pacific/Pohnpei
    Pacific__Pohnpei,
    /// Pacific/Ponape
    Pacific__Ponape,
    /// Pacific/Port_Moresby
    Pacific__Port_Moresby,
    /// Pacific/Rarotonga
    Pacific__Rarotonga,
    /// Pacific/Saipan
    Pacific__Saipan,
    /// Pacific/Samoa
    Pacific__Samoa,
    /// Pacific/Tahiti
    Pacific__Tahiti,
    /// Pacific/Tarawa
    Pacific__Tarawa,
    /// Pacific/Tongatapu
    Pacific__Tongatapu,
    /// Pacific/Truk
    Pacific__Truk,
    /// Pacific/Wake
    Pacific__Wake,
    /// Pacific/Wallis
    Pacific__Wallis,
    /// Pacific/Yap
    Pacific__Yap,
    /// Poland
    Poland,
    /// Portugal
    Portugal,
    /// ROC
    ROC,
    /// ROK
    ROK,
    /// Singapore
    Singapore,
    /// Turkey
    Turkey,
    /// UCT
    UCT,
    /// US/Alaska
    US__Alaska,
    /// US/Aleutian
    US__Aleutian,
    /// US/Arizona
    US__Arizona,
    /// US/Central
    US__Central,
    /// US/East-Indiana
    US__EastIndiana,
    /// US/Eastern
    US__Eastern,
    /// US/Hawaii
    US__Hawaii,
    /// US/Indiana-Starke
    US__IndianaStarke,
    /// US/Michigan
    US__Michigan,
    /// US/Mountain
    US__Mountain,
    /// US/Pacific
    US__Pacific,
    /// US/Samoa
    US__Samoa,
    /// UTC
    UTC,
    /// Universal
    Universal,
    /// W-SU
    WSU,
    /// WET
    WET,
    /// Zulu
    Zulu,
}
static TIMEZONES: ::phf::Map<&'static str, Tz> = 
::phf::Map {
    key: 16287231350648472473,
    disps: &[
        (0, 6),
        (0, 3),
        (0, 235),
        (0, 27),
        (0, 95),
        (0, 282),
        (0, 3),
        (0, 459),
        (0, 18),
        (0, 146),
        (0, 107),
        (0, 98),
        (0, 9),
        (1, 417),
        (0, 18),
        (2, 171),
        (0, 39),
        (0, 1),
        (0, 18),
        (0, 196),
        (0, 0),
        (2, 224),
        (0, 1),
        (0, 4),
        (0, 507),
        (0, 145),
        (0, 137),
        (0, 1),
        (0, 3),
        (0, 1),
        (1, 489),
        (0, 2),
        (0, 5),
        (0, 127),
        (0, 170),
        (0, 17),
        (0, 17),
        (0, 14),
        (0, 91),
        (1, 4),
        (0, 539),
        (0, 453),
        (0, 33),
        (0, 534),
        (0, 3),
        (0, 320),
        (0, 0),
        (0, 0),
        (0, 486),
        (0, 4),
        (0, 3),
        (0, 4),
        (0, 92),
        (0, 46),
        (0, 0),
        (0, 105),
        (0, 25),
        (0, 444),
        (0, 206),
        (0, 202),
        (1, 463),
        (1, 99),
        (4, 338),
        (1, 334),
        (0, 37),
        (0, 17),
        (4, 321),
        (0, 30),
        (0, 2),
        (0, 7),
        (0, 494),
        (1, 380),
        (0, 0),
        (0, 55),
        (1, 11),
        (4, 275),
        (3, 580),
        (1, 582),
        (1, 279),
        (0, 26),
        (0, 581),
        (3, 456),
        (0, 140),
        (1, 565),
        (3, 433),
        (1, 426),
        (0, 4),
        (0, 26),
        (4, 424),
        (0, 13),
        (2, 425),
        (0, 9),
        (0, 62),
        (1, 535),
        (0, 11),
        (0, 2),
        (1, 352),
        (0, 98),
        (5, 287),
        (0, 113),
        (0, 7),
        (0, 1),
        (5, 418),
        (2, 415),
        (0, 280),
        (28, 336),
        (0, 12),
        (4, 259),
        (0, 271),
        (0, 353),
        (1, 226),
        (0, 31),
        (2, 234),
        (2, 279),
        (0, 248),
        (7, 306),
        (0, 579),
        (0, 5),
        (15, 425),
        (33, 13),
    ],
    entries: &[
        ("Asia/Irkutsk", Tz::Asia__Irkutsk),
        ("Asia/Anadyr", Tz::Asia__Anadyr),
        ("PRC", Tz::PRC),
        ("Africa/Maputo", Tz::Africa__Maputo),
        ("America/Indiana/Vevay", Tz::America__Indiana__Vevay),
        ("Pacific/Saipan", Tz::Pacific__Saipan),
        ("Australia/Victoria", Tz::Australia__Victoria),
        ("Atlantic/Madeira", Tz::Atlantic__Madeira),
        ("America/Iqaluit", Tz::America__Iqaluit),
        ("Europe/Zagreb", Tz::Europe__Zagreb),
        ("Africa/Luanda", Tz::Africa__Luanda),
        ("America/Adak", Tz::America__Adak),
        ("America/Moncton", Tz::America__Moncton),
        ("Pacific/Easter", Tz::Pacific__Easter),
        ("Africa/Lome", Tz::Africa__Lome),
        ("Europe/Minsk", Tz::Europe__Minsk),
        ("Asia/Almaty", Tz::Asia__Almaty),
        ("America/Toronto", Tz::America__Toronto),
        ("Etc/Zulu", Tz::Etc__Zulu),
        ("EET", Tz::EET),
        ("Asia/Khandyga", Tz::Asia__Khandyga),
        ("MET", Tz::MET),
        ("America/Marigot", Tz::America__Marigot),
        ("America/Jamaica", Tz::America__Jamaica),
        ("Europe/Riga", Tz::Europe__Riga),
        ("Asia/Rangoon", Tz::Asia__Rangoon),
        ("Asia/Karachi", Tz::Asia__Karachi),
        ("Singapore", Tz::Singapore),
        ("Etc/GMT0", Tz::Etc__GMT0),
        ("Australia/ACT", Tz::Australia__ACT),
        ("Zulu", Tz::Zulu),
        ("Canada/Newfoundland", Tz::Canada__Newfoundland),
        ("Antarctica/South_Pole", Tz::Antarctica__South_Pole),
        ("Asia/Ashkhabad", Tz::Asia__Ashkhabad),
        ("Asia/Kolkata", Tz::Asia__Kolkata),
        ("America/Thunder_Bay", Tz::America__Thunder_Bay),
        ("Etc/GMT+2", Tz::Etc__GMTPlus2),
        ("Asia/Krasnoyarsk", Tz::Asia__Krasnoyarsk),
        ("Canada/Saskatchewan", Tz::Canada__Saskatchewan),
        ("Europe/Sofia", Tz::Europe__Sofia),
        ("Europe/Kirov", Tz::Europe__Kirov),
        ("Africa/Dar_es_Salaam", Tz::Africa__Dar_es_Salaam),
        ("America/Los_Angeles", Tz::America__Los_Angeles),
        ("America/Catamarca", Tz::America__Catamarca),
        ("Africa/Ndjamena", Tz::Africa__Ndjamena),
        ("Pacific/Noumea", Tz::Pacific__Noumea),
        ("America/Bahia_Banderas", Tz::America__Bahia_Banderas),
        ("America/Matamoros", Tz::America__Matamoros),
        ("Africa/Kampala", Tz::Africa__Kampala),
        ("Canada/Eastern", Tz::Canada__Eastern),
        ("Africa/Maseru", Tz::Africa__Maseru),
        ("America/Belize", Tz::America__Belize),
        ("Asia/Katmandu", Tz::Asia__Katmandu),
        ("Etc/UTC", Tz::Etc__UTC),
        ("Europe/Belgrade", Tz::Europe__Belgrade),
        ("America/Goose_Bay", Tz::America__Goose_Bay),
        ("Etc/GMT+0", Tz::Etc__GMTPlus0),
        ("Pacific/Pohnpei", Tz::Pacific__Pohnpei),
        ("America/Paramaribo", Tz::America__Paramaribo),
        ("Indian/Antananarivo", Tz::Indian__Antananarivo),
        ("Asia/Omsk", Tz::Asia__Omsk),
        ("Pacific/Honolulu", Tz::Pacific__Honolulu),
        ("Atlantic/Stanley", Tz::Atlantic__Stanley),
        ("Asia/Jakarta", Tz::Asia__Jakarta),
        ("America/Inuvik", Tz::America__Inuvik),
        ("Africa/Monrovia", Tz::Africa__Monrovia),
        ("Australia/Lord_Howe", Tz::Australia__Lord_Howe),
        ("America/Havana", Tz::America__Havana),
        ("America/Miquelon", Tz::America__Miquelon),
        ("Indian/Kerguelen", Tz::Indian__Kerguelen),
        ("Iran", Tz::Iran),
        ("Asia/Urumqi", Tz::Asia__Urumqi),
        ("Etc/GMT+7", Tz::Etc__GMTPlus7),
        ("Asia/Tehran", Tz::Asia__Tehran),
        ("America/Guyana", Tz::America__Guyana),
        ("Australia/Tasmania", Tz::Australia__Tasmania),
        ("Pacific/Samoa", Tz::Pacific__Samoa),
        ("Europe/Vilnius", Tz::Europe__Vilnius),
        ("America/North_Dakota/Beulah", Tz::America__North_Dakota__Beulah),
        ("Pacific/Enderbury", Tz::Pacific__Enderbury),
        ("Etc/GMT-0", Tz::Etc__GMTMinus0),
        ("Arctic/Longyearbyen", Tz::Arctic__Longyearbyen),
        ("America/Hermosillo", Tz::America__Hermosillo),
        ("Antarctica/McMurdo", Tz::Antarctica__McMurdo),
        ("Asia/Kuala_Lumpur", Tz::Asia__Kuala_Lumpur),
        ("Pacific/Wake", Tz::Pacific__Wake),
        ("America/Grand_Turk", Tz::America__Grand_Turk),
        ("America/Ojinaga", Tz::America__Ojinaga),
        ("US/Central", Tz::US__Central),
        ("America/Montreal", Tz::America__Montreal),
        ("America/St_Kitts", Tz::America__St_Kitts),
        ("Asia/Hebron", Tz::Asia__Hebron),
        ("Europe/Athens", Tz::Europe__Athens),
        ("America/Winnipeg", Tz::America__Winnipeg),
        ("America/Virgin", Tz::America__Virgin),
        ("America/Sao_Paulo", Tz::America__Sao_Paulo),
        ("Asia/Kabul", Tz::Asia__Kabul),
        ("Etc/GMT+3", Tz::Etc__GMTPlus3),
        ("America/Punta_Arenas", Tz::America__Punta_Arenas),
        ("Africa/Mogadishu", Tz::Africa__Mogadishu),
        ("America/Indiana/Petersburg", Tz::America__Indiana__Petersburg),
        ("Asia/Barnaul", Tz::Asia__Barnaul),
        ("America/Juneau", Tz::America__Juneau),
        ("Europe/Luxembourg", Tz::Europe__Luxembourg),
        ("America/Dominica", Tz::America__Dominica),
        ("Europe/Guernsey", Tz::Europe__Guernsey),
        ("America/Anchorage", Tz::America__Anchorage),
        ("America/Barbados", Tz::America__Barbados),
        ("Pacific/Midway", Tz::Pacific__Midway),
        ("Asia/Atyrau", Tz::Asia__Atyrau),
        ("Pacific/Yap", Tz::Pacific__Yap),
        ("Etc/Universal", Tz::Etc__Universal),
        ("America/Yakutat", Tz::America__Yakutat),
        ("America/Coral_Harbour", Tz::America__Coral_Harbour),
        ("Atlantic/Reykjavik", Tz::Atlantic__Reykjavik),
        ("America/Noronha", Tz::America__Noronha),
        ("Europe/Stockholm", Tz::Europe__Stockholm),
        ("Africa/Casablanca", Tz::Africa__Casablanca),
        ("Africa/Khartoum", Tz::Africa__Khartoum),
        ("Australia/Broken_Hill", Tz::Australia__Broken_Hill),
        ("America/Fort_Wayne", Tz::America__Fort_Wayne),
        ("Africa/Djibouti", Tz::Africa__Djibouti),
        ("America/Danmarkshavn", Tz::America__Danmarkshavn),
        ("Australia/Sydney", Tz::Australia__Sydney),
        ("America/Ensenada", Tz::America__Ensenada),
        ("Europe/Kaliningrad", Tz::Europe__Kaliningrad),
        ("Africa/Dakar", Tz::Africa__Dakar),
        ("Asia/Muscat", Tz::Asia__Muscat),
        ("Asia/Baku", Tz::Asia__Baku),
        ("Atlantic/St_Helena", Tz::Atlantic__St_Helena),
        ("Pacific/Tarawa", Tz::Pacific__Tarawa),
        ("Asia/Brunei", Tz::Asia__Brunei),
        ("America/Asuncion", Tz::America__Asuncion),
        ("America/Caracas", Tz::America__Caracas),
        ("America/Montevideo", Tz::America__Montevideo),
        ("Europe/Busingen", Tz::Europe__Busingen),
        ("Europe/Nicosia", Tz::Europe__Nicosia),
        ("America/Coyhaique", Tz::America__Coyhaique),
        ("Pacific/Marquesas", Tz::Pacific__Marquesas),
        ("America/Santiago", Tz::America__Santiago),
        ("America/Shiprock", Tz::America__Shiprock),
        ("Etc/GMT+11", Tz::Etc__GMTPlus11),
        ("Africa/Conakry", Tz::Africa__Conakry),
        ("Asia/Riyadh", Tz::Asia__Riyadh),
        ("Europe/Brussels", Tz::Europe__Brussels),
        ("Portugal", Tz::Portugal),
        ("America/St_Johns", Tz::America__St_Johns),
        ("America/Mexico_City", Tz::America__Mexico_City),
        ("Brazil/West", Tz::Brazil__West),
        ("Africa/Harare", Tz::Africa__Harare),
        ("Indian/Christmas", Tz::Indian__Christmas),
        ("America/Knox_IN", Tz::America__Knox_IN),
        ("America/Nuuk", Tz::America__Nuuk),
        ("Antarctica/Casey", Tz::Antarctica__Casey),
        ("Etc/GMT-6", Tz::Etc__GMTMinus6),
        ("America/Indiana/Tell_City", Tz::America__Indiana__Tell_City),
        ("ROK", Tz::ROK),
        ("Indian/Maldives", Tz::Indian__Maldives),
        ("America/Chicago", Tz::America__Chicago),
        ("Asia/Magadan", Tz::Asia__Magadan),
        ("Pacific/Palau", Tz::Pacific__Palau),
        ("Europe/Zaporozhye", Tz::Europe__Zaporozhye),
        ("Pacific/Johnston", Tz::Pacific__Johnston),
        ("Asia/Samarkand", Tz::Asia__Samarkand),
        ("Iceland", Tz::Iceland),
        ("Europe/London", Tz::Europe__London),
        ("America/Santo_Domingo", Tz::America__Santo_Domingo),
        ("Chile/EasterIsland", Tz::Chile__EasterIsland),
        ("America/Godthab", Tz::America__Godthab),
        ("America/Argentina/Buenos_Aires", Tz::America__Argentina__Buenos_Aires),
        ("Asia/Chita", Tz::Asia__Chita),
        ("Asia/Jerusalem", Tz::Asia__Jerusalem),
        ("US/Alaska", Tz::US__Alaska),
        ("Etc/GMT-8", Tz::Etc__GMTMinus8),
        ("Australia/Currie", Tz::Australia__Currie),
        ("Africa/Accra", Tz::Africa__Accra),
        ("Libya", Tz::Libya),
        ("Europe/Zurich", Tz::Europe__Zurich),
        ("Etc/GMT", Tz::Etc__GMT),
        ("Etc/GMT-12", Tz::Etc__GMTMinus12),
        ("Etc/GMT-4", Tz::Etc__GMTMinus4),
        ("Asia/Shanghai", Tz::Asia__Shanghai),
        ("Europe/Copenhagen", Tz::Europe__Copenhagen),
        ("America/Cuiaba", Tz::America__Cuiaba),
        ("Europe/Vatican", Tz::Europe__Vatican),
        ("America/Creston", Tz::America__Creston),
        ("Asia/Ashgabat", Tz::Asia__Ashgabat),
        ("Asia/Yakutsk", Tz::Asia__Yakutsk),
        ("America/Swift_Current", Tz::America__Swift_Current),
        ("America/Tijuana", Tz::America__Tijuana),
        ("America/Boise", Tz::America__Boise),
        ("Asia/Famagusta", Tz::Asia__Famagusta),
        ("Europe/Simferopol", Tz::Europe__Simferopol),
        ("America/Sitka", Tz::America__Sitka),
        ("America/Port-au-Prince", Tz::America__PortauPrince),
        ("Mexico/BajaNorte", Tz::Mexico__BajaNorte),
        ("America/Fortaleza", Tz::America__Fortaleza),
        ("Antarctica/Davis", Tz::Antarctica__Davis),
        ("America/Santa_Isabel", Tz::America__Santa_Isabel),
        ("Africa/Juba", Tz::Africa__Juba),
        ("Etc/Greenwich", Tz::Etc__Greenwich),
        ("Pacific/Wallis", Tz::Pacific__Wallis),
        ("Etc/GMT+6", Tz::Etc__GMTPlus6),
        ("Asia/Chungking", Tz::Asia__Chungking),
        ("Antarctica/DumontDUrville", Tz::Antarctica__DumontDUrville),
        ("Pacific/Fiji", Tz::Pacific__Fiji),
        ("Europe/San_Marino", Tz::Europe__San_Marino),
        ("America/Resolute", Tz::America__Resolute),
        ("Pacific/Kiritimati", Tz::Pacific__Kiritimati),
        ("Asia/Pyongyang", Tz::Asia__Pyongyang),
        ("GMT-0", Tz::GMTMinus0),
        ("NZ-CHAT", Tz::NZCHAT),
        ("America/Argentina/La_Rioja", Tz::America__Argentina__La_Rioja),
        ("America/Montserrat", Tz::America__Montserrat),
        ("Africa/Douala", Tz::Africa__Douala),
        ("Europe/Malta", Tz::Europe__Malta),
        ("America/Indiana/Marengo", Tz::America__Indiana__Marengo),
        ("America/Tortola", Tz::America__Tortola),
        ("America/Tegucigalpa", Tz::America__Tegucigalpa),
        ("America/Phoenix", Tz::America__Phoenix),
        ("America/Cambridge_Bay", Tz::America__Cambridge_Bay),
        ("America/St_Barthelemy", Tz::America__St_Barthelemy),
        ("Asia/Dhaka", Tz::Asia__Dhaka),
        ("Asia/Taipei", Tz::Asia__Taipei),
        ("UCT", Tz::UCT),
        ("Africa/Gaborone", Tz::Africa__Gaborone),
        ("Atlantic/Bermuda", Tz::Atlantic__Bermuda),
        ("America/Yellowknife", Tz::America__Yellowknife),
        ("Antarctica/Mawson", Tz::Antarctica__Mawson),
        ("Navajo", Tz::Navajo),
        ("Africa/Tripoli", Tz::Africa__Tripoli),
        ("America/Atikokan", Tz::America__Atikokan),
        ("America/Monterrey", Tz::America__Monterrey),
        ("America/Blanc-Sablon", Tz::America__BlancSablon),
        ("Etc/GMT-7", Tz::Etc__GMTMinus7),
        ("Africa/Bangui", Tz::Africa__Bangui),
        ("America/Bahia", Tz::America__Bahia),
        ("America/Denver", Tz::America__Denver),
        ("America/Maceio", Tz::America__Maceio),
        ("Pacific/Niue", Tz::Pacific__Niue),
        ("Asia/Vientiane", Tz::Asia__Vientiane),
        ("Asia/Aden", Tz::Asia__Aden),
        ("Asia/Makassar", Tz::Asia__Makassar),
        ("America/Managua", Tz::America__Managua),
        ("America/Whitehorse", Tz::America__Whitehorse),
        ("EST5EDT", Tz::EST5EDT),
        ("Indian/Mauritius", Tz::Indian__Mauritius),
        ("Europe/Tirane", Tz::Europe__Tirane),
        ("Europe/Ljubljana", Tz::Europe__Ljubljana),
        ("Europe/Mariehamn", Tz::Europe__Mariehamn),
        ("Pacific/Guam", Tz::Pacific__Guam),
        ("Australia/Canberra", Tz::Australia__Canberra),
        ("America/Porto_Velho", Tz::America__Porto_Velho),
        ("Pacific/Tongatapu", Tz::Pacific__Tongatapu),
        ("America/Rainy_River", Tz::America__Rainy_River),
        ("MST", Tz::MST),
        ("America/Kralendijk", Tz::America__Kralendijk),
        ("W-SU", Tz::WSU),
        ("Asia/Bangkok", Tz::Asia__Bangkok),
        ("Indian/Mayotte", Tz::Indian__Mayotte),
        ("Asia/Aqtau", Tz::Asia__Aqtau),
        ("America/Costa_Rica", Tz::America__Costa_Rica),
        ("GB-Eire", Tz::GBEire),
        ("Asia/Kathmandu", Tz::Asia__Kathmandu),
        ("Asia/Macao", Tz::Asia__Macao),
        ("America/Guayaquil", Tz::America__Guayaquil),
        ("America/Nome", Tz::America__Nome),
        ("Asia/Thimphu", Tz::Asia__Thimphu),
        ("Etc/GMT+8", Tz::Etc__GMTPlus8),
        ("America/Belem", Tz::America__Belem),
        ("Asia/Aqtobe", Tz::Asia__Aqtobe),
        ("Pacific/Pitcairn", Tz::Pacific__Pitcairn),
        ("Asia/Ulan_Bator", Tz::Asia__Ulan_Bator),
        ("Etc/GMT+12", Tz::Etc__GMTPlus12),
        ("Europe/Budapest", Tz::Europe__Budapest),
        ("America/Guatemala", Tz::America__Guatemala),
        ("Asia/Tokyo", Tz::Asia__Tokyo),
        ("America/Atka", Tz::America__Atka),
        ("Brazil/DeNoronha", Tz::Brazil__DeNoronha),
        ("Australia/North", Tz::Australia__North),
        ("Universal", Tz::Universal),
        ("Canada/Pacific", Tz::Canada__Pacific),
        ("Asia/Novosibirsk", Tz::Asia__Novosibirsk),
        ("ROC", Tz::ROC),
        ("America/Curacao", Tz::America__Curacao),
        ("Asia/Ujung_Pandang", Tz::Asia__Ujung_Pandang),
        ("Asia/Ust-Nera", Tz::Asia__UstNera),
        ("Pacific/Majuro", Tz::Pacific__Majuro),
        ("Pacific/Kosrae", Tz::Pacific__Kosrae),
        ("Africa/Cairo", Tz::Africa__Cairo),
        ("Asia/Istanbul", Tz::Asia__Istanbul),
        ("Asia/Yangon", Tz::Asia__Yangon),
        ("Japan", Tz::Japan),
        ("Africa/Porto-Novo", Tz::Africa__PortoNovo),
        ("Africa/Ouagadougou", Tz::Africa__Ouagadougou),
        ("Pacific/Truk", Tz::Pacific__Truk),
        ("Australia/Perth", Tz::Australia__Perth),
        ("Asia/Singapore", Tz::Asia__Singapore),
        ("US/Aleutian", Tz::US__Aleutian),
        ("Asia/Seoul", Tz::Asia__Seoul),
        ("America/Regina", Tz::America__Regina),
        ("Europe/Saratov", Tz::Europe__Saratov),
        ("Pacific/Efate", Tz::Pacific__Efate),
        ("Antarctica/Macquarie", Tz::Antarctica__Macquarie),
        ("Atlantic/Faeroe", Tz::Atlantic__Faeroe),
        ("Asia/Damascus", Tz::Asia__Damascus),
        ("Asia/Vladivostok", Tz::Asia__Vladivostok),
        ("Asia/Gaza", Tz::Asia__Gaza),
        ("Africa/El_Aaiun", Tz::Africa__El_Aaiun),
        ("America/Port_of_Spain", Tz::America__Port_of_Spain),
        ("America/Argentina/Mendoza", Tz::America__Argentina__Mendoza),
        ("America/Jujuy", Tz::America__Jujuy),
        ("Pacific/Kwajalein", Tz::Pacific__Kwajalein),
        ("Asia/Manila", Tz::Asia__Manila),
        ("Etc/GMT+9", Tz::Etc__GMTPlus9),
        ("Europe/Berlin", Tz::Europe__Berlin),
        ("America/Rio_Branco", Tz::America__Rio_Branco),
        ("America/St_Vincent", Tz::America__St_Vincent),
        ("Etc/GMT+5", Tz::Etc__GMTPlus5),
        ("Africa/Kinshasa", Tz::Africa__Kinshasa),
        ("America/Argentina/Catamarca", Tz::America__Argentina__Catamarca),
        ("Asia/Baghdad", Tz::Asia__Baghdad),
        ("Etc/GMT-1", Tz::Etc__GMTMinus1),
        ("Europe/Gibraltar", Tz::Europe__Gibraltar),
        ("Africa/Banjul", Tz::Africa__Banjul),
        ("America/Argentina/ComodRivadavia", Tz::America__Argentina__ComodRivadavia),
        ("Europe/Sarajevo", Tz::Europe__Sarajevo),
        ("America/Indiana/Indianapolis", Tz::America__Indiana__Indianapolis),
        ("Europe/Kiev", Tz::Europe__Kiev),
        ("US/Pacific", Tz::US__Pacific),
        ("America/Metlakatla", Tz::America__Metlakatla),
        ("Europe/Uzhgorod", Tz::Europe__Uzhgorod),
        ("Asia/Hovd", Tz::Asia__Hovd),
        ("Etc/UCT", Tz::Etc__UCT),
        ("Australia/Darwin", Tz::Australia__Darwin),
        ("America/North_Dakota/Center", Tz::America__North_Dakota__Center),
        ("Asia/Dacca", Tz::Asia__Dacca),
        ("Atlantic/Canary", Tz::Atlantic__Canary),
        ("Pacific/Guadalcanal", Tz::Pacific__Guadalcanal),
        ("Asia/Macau", Tz::Asia__Macau),
        ("Europe/Tallinn", Tz::Europe__Tallinn),
        ("Africa/Blantyre", Tz::Africa__Blantyre),
        ("Africa/Timbuktu", Tz::Africa__Timbuktu),
        ("Pacific/Galapagos", Tz::Pacific__Galapagos),
        ("America/Boa_Vista", Tz::America__Boa_Vista),
        ("America/El_Salvador", Tz::America__El_Salvador),
        ("Australia/Brisbane", Tz::Australia__Brisbane),
        ("America/Puerto_Rico", Tz::America__Puerto_Rico),
        ("Africa/Niamey", Tz::Africa__Niamey),
        ("Europe/Andorra", Tz::Europe__Andorra),
        ("Antarctica/Vostok", Tz::Antarctica__Vostok),
        ("Asia/Thimbu", Tz::Asia__Thimbu),
        ("Africa/Asmera", Tz::Africa__Asmera),
        ("America/Indiana/Winamac", Tz::America__Indiana__Winamac),
        ("MST7MDT", Tz::MST7MDT),
        ("America/St_Thomas", Tz::America__St_Thomas),
        ("CET", Tz::CET),
        ("Canada/Mountain", Tz::Canada__Mountain),
        ("America/Santarem", Tz::America__Santarem),
        ("Antarctica/Syowa", Tz::Antarctica__Syowa),
        ("Europe/Bucharest", Tz::Europe__Bucharest),
        ("Europe/Vaduz", Tz::Europe__Vaduz),
        ("Europe/Tiraspol", Tz::Europe__Tiraspol),
        ("Europe/Istanbul", Tz::Europe__Istanbul),
        ("Asia/Saigon", Tz::Asia__Saigon),
        ("UTC", Tz::UTC),
        ("Turkey", Tz::Turkey),
        ("America/Edmonton", Tz::America__Edmonton),
        ("Etc/GMT-9", Tz::Etc__GMTMinus9),
        ("Hongkong", Tz::Hongkong),
        ("Indian/Mahe", Tz::Indian__Mahe),
        ("Asia/Kamchatka", Tz::Asia__Kamchatka),
        ("Africa/Nairobi", Tz::Africa__Nairobi),
        ("Europe/Samara", Tz::Europe__Samara),
        ("Pacific/Chatham", Tz::Pacific__Chatham),
        ("America/Guadeloupe", Tz::America__Guadeloupe),
        ("Europe/Warsaw", Tz::Europe__Warsaw),
        ("America/New_York", Tz::America__New_York),
        ("Africa/Windhoek", Tz::Africa__Windhoek),
        ("America/Panama", Tz::America__Panama),
        ("America/Argentina/Ushuaia", Tz::America__Argentina__Ushuaia),
        ("Asia/Sakhalin", Tz::Asia__Sakhalin),
        ("America/La_Paz", Tz::America__La_Paz),
        ("US/Arizona", Tz::US__Arizona),
        ("US/Eastern", Tz::US__Eastern),
        ("Pacific/Fakaofo", Tz::Pacific__Fakaofo),
        ("Asia/Kuwait", Tz::Asia__Kuwait),
        ("America/Argentina/Salta", Tz::America__Argentina__Salta),
        ("Indian/Comoro", Tz::Indian__Comoro),
        ("Pacific/Funafuti", Tz::Pacific__Funafuti),
        ("Asia/Tel_Aviv", Tz::Asia__Tel_Aviv),
        ("Europe/Dublin", Tz::Europe__Dublin),
        ("America/Mendoza", Tz::America__Mendoza),
        ("US/Mountain", Tz::US__Mountain),
        ("Pacific/Nauru", Tz::Pacific__Nauru),
        ("America/Kentucky/Louisville", Tz::America__Kentucky__Louisville),
        ("Atlantic/Azores", Tz::Atlantic__Azores),
        ("Etc/GMT-2", Tz::Etc__GMTMinus2),
        ("Canada/Central", Tz::Canada__Central),
        ("Africa/Addis_Ababa", Tz::Africa__Addis_Ababa),
        ("Europe/Amsterdam", Tz::Europe__Amsterdam),
        ("Etc/GMT-11", Tz::Etc__GMTMinus11),
        ("US/Hawaii", Tz::US__Hawaii),
        ("Asia/Amman", Tz::Asia__Amman),
        ("America/Manaus", Tz::America__Manaus),
        ("America/Menominee", Tz::America__Menominee),
        ("Asia/Yekaterinburg", Tz::Asia__Yekaterinburg),
        ("America/Araguaina", Tz::America__Araguaina),
        ("Africa/Bujumbura", Tz::Africa__Bujumbura),
        ("Antarctica/Rothera", Tz::Antarctica__Rothera),
        ("Asia/Bishkek", Tz::Asia__Bishkek),
        ("America/Grenada", Tz::America__Grenada),
        ("Asia/Calcutta", Tz::Asia__Calcutta),
        ("America/Martinique", Tz::America__Martinique),
        ("Asia/Jayapura", Tz::Asia__Jayapura),
        ("America/Cancun", Tz::America__Cancun),
        ("America/Argentina/Tucuman", Tz::America__Argentina__Tucuman),
        ("Asia/Chongqing", Tz::Asia__Chongqing),
        ("America/Rankin_Inlet", Tz::America__Rankin_Inlet),
        ("Indian/Cocos", Tz::Indian__Cocos),
        ("US/East-Indiana", Tz::US__EastIndiana),
        ("Etc/GMT+10", Tz::Etc__GMTPlus10),
        ("EST", Tz::EST),
        ("America/Ciudad_Juarez", Tz::America__Ciudad_Juarez),
        ("Europe/Helsinki", Tz::Europe__Helsinki),
        ("Etc/GMT-13", Tz::Etc__GMTMinus13),
        ("America/Fort_Nelson", Tz::America__Fort_Nelson),
        ("US/Indiana-Starke", Tz::US__IndianaStarke),
        ("Asia/Pontianak", Tz::Asia__Pontianak),
        ("Pacific/Norfolk", Tz::Pacific__Norfolk),
        ("Africa/Bamako", Tz::Africa__Bamako),
        ("Australia/Eucla", Tz::Australia__Eucla),
        ("Australia/Queensland", Tz::Australia__Queensland),
        ("Europe/Prague", Tz::Europe__Prague),
        ("Asia/Tbilisi", Tz::Asia__Tbilisi),
        ("Africa/Malabo", Tz::Africa__Malabo),
        ("Pacific/Apia", Tz::Pacific__Apia),
        ("Asia/Phnom_Penh", Tz::Asia__Phnom_Penh),
        ("Atlantic/Cape_Verde", Tz::Atlantic__Cape_Verde),
        ("Asia/Dili", Tz::Asia__Dili),
        ("Pacific/Pago_Pago", Tz::Pacific__Pago_Pago),
        ("America/Thule", Tz::America__Thule),
        ("Pacific/Port_Moresby", Tz::Pacific__Port_Moresby),
        ("Africa/Kigali", Tz::Africa__Kigali),
        ("Canada/Yukon", Tz::Canada__Yukon),
        ("Asia/Colombo", Tz::Asia__Colombo),
        ("Jamaica", Tz::Jamaica),
        ("America/Argentina/Cordoba", Tz::America__Argentina__Cordoba),
        ("Kwajalein", Tz::Kwajalein),
        ("Pacific/Gambier", Tz::Pacific__Gambier),
        ("America/North_Dakota/New_Salem", Tz::America__North_Dakota__New_Salem),
        ("Etc/GMT-10", Tz::Etc__GMTMinus10),
        ("Europe/Jersey", Tz::Europe__Jersey),
        ("Etc/GMT-3", Tz::Etc__GMTMinus3),
        ("Etc/GMT+1", Tz::Etc__GMTPlus1),
        ("America/Rosario", Tz::America__Rosario),
        ("Asia/Nicosia", Tz::Asia__Nicosia),
        ("America/Lima", Tz::America__Lima),
        ("Pacific/Ponape", Tz::Pacific__Ponape),
        ("Africa/Libreville", Tz::Africa__Libreville),
        ("Europe/Skopje", Tz::Europe__Skopje),
        ("Europe/Paris", Tz::Europe__Paris),
        ("Africa/Brazzaville", Tz::Africa__Brazzaville),
        ("Africa/Johannesburg", Tz::Africa__Johannesburg),
        ("America/Lower_Princes", Tz::America__Lower_Princes),
        ("America/Argentina/Jujuy", Tz::America__Argentina__Jujuy),
        ("Asia/Kashgar", Tz::Asia__Kashgar),
        ("US/Michigan", Tz::US__Michigan),
        ("America/Dawson_Creek", Tz::America__Dawson_Creek),
        ("America/Indiana/Vincennes", Tz::America__Indiana__Vincennes),
        ("Asia/Tashkent", Tz::Asia__Tashkent),
        ("Africa/Freetown", Tz::Africa__Freetown),
        ("America/Anguilla", Tz::America__Anguilla),
        ("America/Argentina/Rio_Gallegos", Tz::America__Argentina__Rio_Gallegos),
        ("NZ", Tz::NZ),
        ("Atlantic/South_Georgia", Tz::Atlantic__South_Georgia),
        ("Europe/Isle_of_Man", Tz::Europe__Isle_of_Man),
        ("Africa/Ceuta", Tz::Africa__Ceuta),
        ("Asia/Kuching", Tz::Asia__Kuching),
        ("Asia/Hong_Kong", Tz::Asia__Hong_Kong),
        ("Australia/Hobart", Tz::Australia__Hobart),
        ("Africa/Asmara", Tz::Africa__Asmara),
        ("Europe/Rome", Tz::Europe__Rome),
        ("Atlantic/Faroe", Tz::Atlantic__Faroe),
        ("America/Cordoba", Tz::America__Cordoba),
        ("Pacific/Auckland", Tz::Pacific__Auckland),
        ("Europe/Oslo", Tz::Europe__Oslo),
        ("Europe/Astrakhan", Tz::Europe__Astrakhan),
        ("Brazil/East", Tz::Brazil__East),
        ("Africa/Lagos", Tz::Africa__Lagos),
        ("Africa/Mbabane", Tz::Africa__Mbabane),
        ("Brazil/Acre", Tz::Brazil__Acre),
        ("Indian/Chagos", Tz::Indian__Chagos),
        ("Europe/Podgorica", Tz::Europe__Podgorica),
        ("Antarctica/Troll", Tz::Antarctica__Troll),
        ("America/Porto_Acre", Tz::America__Porto_Acre),
        ("America/Dawson", Tz::America__Dawson),
        ("America/Cayenne", Tz::America__Cayenne),
        ("Africa/Bissau", Tz::Africa__Bissau),
        ("America/Nipigon", Tz::America__Nipigon),
        ("Asia/Choibalsan", Tz::Asia__Choibalsan),
        ("America/Argentina/San_Luis", Tz::America__Argentina__San_Luis),
        ("Asia/Dubai", Tz::Asia__Dubai),
        ("Europe/Ulyanovsk", Tz::Europe__Ulyanovsk),
        ("Australia/Melbourne", Tz::Australia__Melbourne),
        ("America/Cayman", Tz::America__Cayman),
        ("America/Mazatlan", Tz::America__Mazatlan),
        ("Cuba", Tz::Cuba),
        ("Egypt", Tz::Egypt),
        ("Africa/Tunis", Tz::Africa__Tunis),
        ("Asia/Ulaanbaatar", Tz::Asia__Ulaanbaatar),
        ("Europe/Chisinau", Tz::Europe__Chisinau),
        ("Australia/Lindeman", Tz::Australia__Lindeman),
        ("Mexico/General", Tz::Mexico__General),
        ("Australia/West", Tz::Australia__West),
        ("Asia/Tomsk", Tz::Asia__Tomsk),
        ("Europe/Kyiv", Tz::Europe__Kyiv),
        ("Europe/Volgograd", Tz::Europe__Volgograd),
        ("America/Scoresbysund", Tz::America__Scoresbysund),
        ("America/Pangnirtung", Tz::America__Pangnirtung),
        ("Chile/Continental", Tz::Chile__Continental),
        ("Asia/Qatar", Tz::Asia__Qatar),
        ("Asia/Qyzylorda", Tz::Asia__Qyzylorda),
        ("Asia/Novokuznetsk", Tz::Asia__Novokuznetsk),
        ("Australia/LHI", Tz::Australia__LHI),
        ("Europe/Belfast", Tz::Europe__Belfast),
        ("Mexico/BajaSur", Tz::Mexico__BajaSur),
        ("Poland", Tz::Poland),
        ("Asia/Dushanbe", Tz::Asia__Dushanbe),
        ("Israel", Tz::Israel),
        ("America/Argentina/San_Juan", Tz::America__Argentina__San_Juan),
        ("Eire", Tz::Eire),
        ("Etc/GMT-5", Tz::Etc__GMTMinus5),
        ("America/Eirunepe", Tz::America__Eirunepe),
        ("Greenwich", Tz::Greenwich),
        ("America/Recife", Tz::America__Recife),
        ("Antarctica/Palmer", Tz::Antarctica__Palmer),
        ("America/Bogota", Tz::America__Bogota),
        ("Australia/South", Tz::Australia__South),
        ("America/Chihuahua", Tz::America__Chihuahua),
        ("Africa/Lubumbashi", Tz::Africa__Lubumbashi),
        ("Asia/Bahrain", Tz::Asia__Bahrain),
        ("Indian/Reunion", Tz::Indian__Reunion),
        ("Atlantic/Jan_Mayen", Tz::Atlantic__Jan_Mayen),
        ("Australia/Yancowinna", Tz::Australia__Yancowinna),
        ("Europe/Bratislava", Tz::Europe__Bratislava),
        ("America/Glace_Bay", Tz::America__Glace_Bay),
        ("Asia/Ho_Chi_Minh", Tz::Asia__Ho_Chi_Minh),
        ("GB", Tz::GB),
        ("Europe/Lisbon", Tz::Europe__Lisbon),
        ("Africa/Abidjan", Tz::Africa__Abidjan),
        ("Europe/Monaco", Tz::Europe__Monaco),
        ("Africa/Algiers", Tz::Africa__Algiers),
        ("Canada/Atlantic", Tz::Canada__Atlantic),
        ("Europe/Vienna", Tz::Europe__Vienna),
        ("America/Halifax", Tz::America__Halifax),
        ("America/Indianapolis", Tz::America__Indianapolis),
        ("America/Louisville", Tz::America__Louisville),
        ("America/St_Lucia", Tz::America__St_Lucia),
        ("America/Campo_Grande", Tz::America__Campo_Grande),
        ("Australia/NSW", Tz::Australia__NSW),
        ("Europe/Madrid", Tz::Europe__Madrid),
        ("America/Merida", Tz::America__Merida),
        ("GMT0", Tz::GMT0),
        ("Pacific/Rarotonga", Tz::Pacific__Rarotonga),
        ("Australia/Adelaide", Tz::Australia__Adelaide),
        ("Africa/Nouakchott", Tz::Africa__Nouakchott),
        ("GMT", Tz::GMT),
        ("Etc/GMT-14", Tz::Etc__GMTMinus14),
        ("America/Vancouver", Tz::America__Vancouver),
        ("America/Detroit", Tz::America__Detroit),
        ("America/Indiana/Knox", Tz::America__Indiana__Knox),
        ("Asia/Yerevan", Tz::Asia__Yerevan),
        ("CST6CDT", Tz::CST6CDT),
        ("America/Antigua", Tz::America__Antigua),
        ("HST", Tz::HST),
        ("Pacific/Tahiti", Tz::Pacific__Tahiti),
        ("Pacific/Chuuk", Tz::Pacific__Chuuk),
        ("Asia/Srednekolymsk", Tz::Asia__Srednekolymsk),
        ("WET", Tz::WET),
        ("US/Samoa", Tz::US__Samoa),
        ("Pacific/Kanton", Tz::Pacific__Kanton),
        ("Africa/Sao_Tome", Tz::Africa__Sao_Tome),
        ("Asia/Oral", Tz::Asia__Oral),
        ("America/Aruba", Tz::America__Aruba),
        ("America/Buenos_Aires", Tz::America__Buenos_Aires),
        ("Africa/Lusaka", Tz::Africa__Lusaka),
        ("Asia/Qostanay", Tz::Asia__Qostanay),
        ("America/Nassau", Tz::America__Nassau),
        ("Pacific/Bougainville", Tz::Pacific__Bougainville),
        ("Asia/Beirut", Tz::Asia__Beirut),
        ("Europe/Moscow", Tz::Europe__Moscow),
        ("PST8PDT", Tz::PST8PDT),
        ("Etc/GMT+4", Tz::Etc__GMTPlus4),
        ("GMT+0", Tz::GMTPlus0),
        ("America/Kentucky/Monticello", Tz::America__Kentucky__Monticello),
        ("Asia/Harbin", Tz::Asia__Harbin),
    ],
};
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ParseError(());

impl Display for ParseError {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        f.write_str("failed to parse timezone")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseError {}

impl FromStr for Tz {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TIMEZONES.get(s).cloned().ok_or(ParseError(()))
    }
}

impl Tz {
    pub fn name(self) -> &'static str {
        match self {
            Tz::Africa__Abidjan => "Africa/Abidjan",
            Tz::Africa__Accra => "Africa/Accra",
            Tz::Africa__Addis_Ababa => "Africa/Addis_Ababa",
            Tz::Africa__Algiers => "Africa/Algiers",
            Tz::Africa__Asmara => "Africa/Asmara",
            Tz::Africa__Asmera => "Africa/Asmera",
            Tz::Africa__Bamako => "Africa/Bamako",
            Tz::Africa__Bangui => "Africa/Bangui",
            Tz::Africa__Banjul => "Africa/Banjul",
            Tz::Africa__Bissau => "Africa/Bissau",
            Tz::Africa__Blantyre => "Africa/Blantyre",
            Tz::Africa__Brazzaville => "Africa/Brazzaville",
            Tz::Africa__Bujumbura => "Africa/Bujumbura",
            Tz::Africa__Cairo => "Africa/Cairo",
            Tz::Africa__Casablanca => "Africa/Casablanca",
            Tz::Africa__Ceuta => "Africa/Ceuta",
            Tz::Africa__Conakry => "Africa/Conakry",
            Tz::Africa__Dakar => "Africa/Dakar",
            Tz::Africa__Dar_es_Salaam => "Africa/Dar_es_Salaam",
            Tz::Africa__Djibouti => "Africa/Djibouti",
            Tz::Africa__Douala => "Africa/Douala",
            Tz::Africa__El_Aaiun => "Africa/El_Aaiun",
            Tz::Africa__Freetown => "Africa/Freetown",
            Tz::Africa__Gaborone => "Africa/Gaborone",
            Tz::Africa__Harare => "Africa/Harare",
            Tz::Africa__Johannesburg => "Africa/Johannesburg",
            Tz::Africa__Juba => "Africa/Juba",
            Tz::Africa__Kampala => "Africa/Kampala",
            Tz::Africa__Khartoum => "Africa/Khartoum",
            Tz::Africa__Kigali => "Africa/Kigali",
            Tz::Africa__Kinshasa => "Africa/Kinshasa",
            Tz::Africa__Lagos => "Africa/Lagos",
            Tz::Africa__Libreville => "Africa/Libreville",
            Tz::Africa__Lome => "Africa/Lome",
            Tz::Africa__Luanda => "Africa/Luanda",
            Tz::Africa__Lubumbashi => "Africa/Lubumbashi",
            Tz::Africa__Lusaka => "Africa/Lusaka",
            Tz::Africa__Malabo => "Africa/Malabo",
            Tz::Africa__Maputo => "Africa/Maputo",
            Tz::Africa__Maseru => "Africa/Maseru",
            Tz::Africa__Mbabane => "Africa/Mbabane",
            Tz::Africa__Mogadishu => "Africa/Mogadishu",
            Tz::Africa__Monrovia => "Africa/Monrovia",
            Tz::Africa__Nairobi => "Africa/Nairobi",
            Tz::Africa__Ndjamena => "Africa/Ndjamena",
            Tz::Africa__Niamey => "Africa/Niamey",
            Tz::Africa__Nouakchott => "Africa/Nouakchott",
            Tz::Africa__Ouagadougou => "Africa/Ouagadougou",
            Tz::Africa__PortoNovo => "Africa/Porto-Novo",
            Tz::Africa__Sao_Tome => "Africa/Sao_Tome",
            Tz::Africa__Timbuktu => "Africa/Timbuktu",
            Tz::Africa__Tripoli => "Africa/Tripoli",
            Tz::Africa__Tunis => "Africa/Tunis",
            Tz::Africa__Windhoek => "Africa/Windhoek",
            Tz::America__Adak => "America/Adak",
            Tz::America__Anchorage => "America/Anchorage",
            Tz::America__Anguilla => "America/Anguilla",
            Tz::America__Antigua => "America/Antigua",
            Tz::America__Araguaina => "America/Araguaina",
            Tz::America__Argentina__Buenos_Aires => "America/Argentina/Buenos_Aires",
            Tz::America__Argentina__Catamarca => "America/Argentina/Catamarca",
            Tz::America__Argentina__ComodRivadavia => "America/Argentina/ComodRivadavia",
            Tz::America__Argentina__Cordoba => "America/Argentina/Cordoba",
            Tz::America__Argentina__Jujuy => "America/Argentina/Jujuy",
            Tz::America__Argentina__La_Rioja => "America/Argentina/La_Rioja",
            Tz::America__Argentina__Mendoza => "America/Argentina/Mendoza",
            Tz::America__Argentina__Rio_Gallegos => "America/Argentina/Rio_Gallegos",
            Tz::America__Argentina__Salta => "America/Argentina/Salta",
            Tz::America__Argentina__San_Juan => "America/Argentina/San_Juan",
            Tz::America__Argentina__San_Luis => "America/Argentina/San_Luis",
            Tz::America__Argentina__Tucuman => "America/Argentina/Tucuman",
            Tz::America__Argentina__Ushuaia => "America/Argentina/Ushuaia",
            Tz::America__Aruba => "America/Aruba",
            Tz::America__Asuncion => "America/Asuncion",
            Tz::America__Atikokan => "America/Atikokan",
            Tz::America__Atka => "America/Atka",
            Tz::America__Bahia => "America/Bahia",
            Tz::America__Bahia_Banderas => "America/Bahia_Banderas",
            Tz::America__Barbados => "America/Barbados",
            Tz::America__Belem => "America/Belem",
            Tz::America__Belize => "America/Belize",
            Tz::America__BlancSablon => "America/Blanc-Sablon",
            Tz::America__Boa_Vista => "America/Boa_Vista",
            Tz::America__Bogota => "America/Bogota",
            Tz::America__Boise => "America/Boise",
            Tz::America__Buenos_Aires => "America/Buenos_Aires",
            Tz::America__Cambridge_Bay => "America/Cambridge_Bay",
            Tz::America__Campo_Grande => "America/Campo_Grande",
            Tz::America__Cancun => "America/Cancun",
            Tz::America__Caracas => "America/Caracas",
            Tz::America__Catamarca => "America/Catamarca",
            Tz::America__Cayenne => "America/Cayenne",
            Tz::America__Cayman => "America/Cayman",
            Tz::America__Chicago => "America/Chicago",
            Tz::America__Chihuahua => "America/Chihuahua",
            Tz::America__Ciudad_Juarez => "America/Ciudad_Juarez",
            Tz::America__Coral_Harbour => "America/Coral_Harbour",
            Tz::America__Cordoba => "America/Cordoba",
            Tz::America__Costa_Rica => "America/Costa_Rica",
            Tz::America__Coyhaique => "America/Coyhaique",
            Tz::America__Creston => "America/Creston",
            Tz::America__Cuiaba => "America/Cuiaba",
            Tz::America__Curacao => "America/Curacao",
            Tz::America__Danmarkshavn => "America/Danmarkshavn",
            Tz::America__Dawson => "America/Dawson",
            Tz::America__Dawson_Creek => "America/Dawson_Creek",
            Tz::America__Denver => "America/Denver",
            Tz::America__Detroit => "America/Detroit",
            Tz::America__Dominica => "America/Dominica",
            Tz::America__Edmonton => "America/Edmonton",
            Tz::America__Eirunepe => "America/Eirunepe",
            Tz::America__El_Salvador => "America/El_Salvador",
            Tz::America__Ensenada => "America/Ensenada",
            Tz::America__Fort_Nelson => "America/Fort_Nelson",
            Tz::America__Fort_Wayne => "America/Fort_Wayne",
            Tz::America__Fortaleza => "America/Fortaleza",
            Tz::America__Glace_Bay => "America/Glace_Bay",
            Tz::America__Godthab => "America/Godthab",
            Tz::America__Goose_Bay => "America/Goose_Bay",
            Tz::America__Grand_Turk => "America/Grand_Turk",
            Tz::America__Grenada => "America/Grenada",
            Tz::America__Guadeloupe => "America/Guadeloupe",
            Tz::America__Guatemala => "America/Guatemala",
            Tz::America__Guayaquil => "America/Guayaquil",
            Tz::America__Guyana => "America/Guyana",
            Tz::America__Halifax => "America/Halifax",
            Tz::America__Havana => "America/Havana",
            Tz::America__Hermosillo => "America/Hermosillo",
            Tz::America__Indiana__Indianapolis => "America/Indiana/Indianapolis",
            Tz::America__Indiana__Knox => "America/Indiana/Knox",
            Tz::America__Indiana__Marengo => "America/Indiana/Marengo",
            Tz::America__Indiana__Petersburg => "America/Indiana/Petersburg",
            Tz::America__Indiana__Tell_City => "America/Indiana/Tell_City",
            Tz::America__Indiana__Vevay => "America/Indiana/Vevay",
            Tz::America__Indiana__Vincennes => "America/Indiana/Vincennes",
            Tz::America__Indiana__Winamac => "America/Indiana/Winamac",
            Tz::America__Indianapolis => "America/Indianapolis",
            Tz::America__Inuvik => "America/Inuvik",
            Tz::America__Iqaluit => "America/Iqaluit",
            Tz::America__Jamaica => "America/Jamaica",
            Tz::America__Jujuy => "America/Jujuy",
            Tz::America__Juneau => "America/Juneau",
            Tz::America__Kentucky__Louisville => "America/Kentucky/Louisville",
            Tz::America__Kentucky__Monticello => "America/Kentucky/Monticello",
            Tz::America__Knox_IN => "America/Knox_IN",
            Tz::America__Kralendijk => "America/Kralendijk",
            Tz::America__La_Paz => "America/La_Paz",
            Tz::America__Lima => "America/Lima",
            Tz::America__Los_Angeles => "America/Los_Angeles",
            Tz::America__Louisville => "America/Louisville",
            Tz::America__Lower_Princes => "America/Lower_Princes",
            Tz::America__Maceio => "America/Maceio",
            Tz::America__Managua => "America/Managua",
            Tz::America__Manaus => "America/Manaus",
            Tz::America__Marigot => "America/Marigot",
            Tz::America__Martinique => "America/Martinique",
            Tz::America__Matamoros => "America/Matamoros",
            Tz::America__Mazatlan => "America/Mazatlan",
            Tz::America__Mendoza => "America/Mendoza",
            Tz::America__Menominee => "America/Menominee",
            Tz::America__Merida => "America/Merida",
            Tz::America__Metlakatla => "America/Metlakatla",
            Tz::America__Mexico_City => "America/Mexico_City",
            Tz::America__Miquelon => "America/Miquelon",
            Tz::America__Moncton => "America/Moncton",
            Tz::America__Monterrey => "America/Monterrey",
            Tz::America__Montevideo => "America/Montevideo",
            Tz::America__Montreal => "America/Montreal",
            Tz::America__Montserrat => "America/Montserrat",
            Tz::America__Nassau => "America/Nassau",
            Tz::America__New_York => "America/New_York",
            Tz::America__Nipigon => "America/Nipigon",
            Tz::America__Nome => "America/Nome",
            Tz::America__Noronha => "America/Noronha",
            Tz::America__North_Dakota__Beulah => "America/North_Dakota/Beulah",
            Tz::America__North_Dakota__Center => "America/North_Dakota/Center",
            Tz::America__North_Dakota__New_Salem => "America/North_Dakota/New_Salem",
            Tz::America__Nuuk => "America/Nuuk",
            Tz::America__Ojinaga => "America/Ojinaga",
            Tz::America__Panama => "America/Panama",
            Tz::America__Pangnirtung => "America/Pangnirtung",
            Tz::America__Paramaribo => "America/Paramaribo",
            Tz::America__Phoenix => "America/Phoenix",
            Tz::America__PortauPrince => "America/Port-au-Prince",
            Tz::America__Port_of_Spain => "America/Port_of_Spain",
            Tz::America__Porto_Acre => "America/Porto_Acre",
            Tz::America__Porto_Velho => "America/Porto_Velho",
            Tz::America__Puerto_Rico => "America/Puerto_Rico",
            Tz::America__Punta_Arenas => "America/Punta_Arenas",
            Tz::America__Rainy_River => "America/Rainy_River",
            Tz::America__Rankin_Inlet => "America/Rankin_Inlet",
            Tz::America__Recife => "America/Recife",
            Tz::America__Regina => "America/Regina",
            Tz::America__Resolute => "America/Resolute",
            Tz::America__Rio_Branco => "America/Rio_Branco",
            Tz::America__Rosario => "America/Rosario",
            Tz::America__Santa_Isabel => "America/Santa_Isabel",
            Tz::America__Santarem => "America/Santarem",
            Tz::America__Santiago => "America/Santiago",
            Tz::America__Santo_Domingo => "America/Santo_Domingo",
            Tz::America__Sao_Paulo => "America/Sao_Paulo",
            Tz::America__Scoresbysund => "America/Scoresbysund",
            Tz::America__Shiprock => "America/Shiprock",
            Tz::America__Sitka => "America/Sitka",
            Tz::America__St_Barthelemy => "America/St_Barthelemy",
            Tz::America__St_Johns => "America/St_Johns",
            Tz::America__St_Kitts => "America/St_Kitts",
            Tz::America__St_Lucia => "America/St_Lucia",
            Tz::America__St_Thomas => "America/St_Thomas",
            Tz::America__St_Vincent => "America/St_Vincent",
            Tz::America__Swift_Current => "America/Swift_Current",
            Tz::America__Tegucigalpa => "America/Tegucigalpa",
            Tz::America__Thule => "America/Thule",
            Tz::America__Thunder_Bay => "America/Thunder_Bay",
            Tz::America__Tijuana => "America/Tijuana",
            Tz::America__Toronto => "America/Toronto",
            Tz::America__Tortola => "America/Tortola",
            Tz::America__Vancouver => "America/Vancouver",
            Tz::America__Virgin => "America/Virgin",
            Tz::America__Whitehorse => "America/Whitehorse",
            Tz::America__Winnipeg => "America/Winnipeg",
            Tz::America__Yakutat => "America/Yakutat",
            Tz::America__Yellowknife => "America/Yellowknife",
            Tz::Antarctica__Casey => "Antarctica/Casey",
            Tz::Antarctica__Davis => "Antarctica/Davis",
            Tz::Antarctica__DumontDUrville => "Antarctica/DumontDUrville",
            Tz::Antarctica__Macquarie => "Antarctica/Macquarie",
            Tz::Antarctica__Mawson => "Antarctica/Mawson",
            Tz::Antarctica__McMurdo => "Antarctica/McMurdo",
            Tz::Antarctica__Palmer => "Antarctica/Palmer",
            Tz::Antarctica__Rothera => "Antarctica/Rothera",
            Tz::Antarctica__South_Pole => "Antarctica/South_Pole",
            Tz::Antarctica__Syowa => "Antarctica/Syowa",
            Tz::Antarctica__Troll => "Antarctica/Troll",
            Tz::Antarctica__Vostok => "Antarctica/Vostok",
            Tz::Arctic__Longyearbyen => "Arctic/Longyearbyen",
            Tz::Asia__Aden => "Asia/Aden",
            Tz::Asia__Almaty => "Asia/Almaty",
            Tz::Asia__Amman => "Asia/Amman",
            Tz::Asia__Anadyr => "Asia/Anadyr",
            Tz::Asia__Aqtau => "Asia/Aqtau",
            Tz::Asia__Aqtobe => "Asia/Aqtobe",
            Tz::Asia__Ashgabat => "Asia/Ashgabat",
            Tz::Asia__Ashkhabad => "Asia/Ashkhabad",
            Tz::Asia__Atyrau => "Asia/Atyrau",
            Tz::Asia__Baghdad => "Asia/Baghdad",
            Tz::Asia__Bahrain => "Asia/Bahrain",
            Tz::Asia__Baku => "Asia/Baku",
            Tz::Asia__Bangkok => "Asia/Bangkok",
            Tz::Asia__Barnaul => "Asia/Barnaul",
            Tz::Asia__Beirut => "Asia/Beirut",
            Tz::Asia__Bishkek => "Asia/Bishkek",
            Tz::Asia__Brunei => "Asia/Brunei",
            Tz::Asia__Calcutta => "Asia/Calcutta",
            Tz::Asia__Chita => "Asia/Chita",
            Tz::Asia__Choibalsan => "Asia/Choibalsan",
            Tz::Asia__Chongqing => "Asia/Chongqing",
            Tz::Asia__Chungking => "Asia/Chungking",
            Tz::Asia__Colombo => "Asia/Colombo",
            Tz::Asia__Dacca => "Asia/Dacca",
            Tz::Asia__Damascus => "Asia/Damascus",
            Tz::Asia__Dhaka => "Asia/Dhaka",
            Tz::Asia__Dili => "Asia/Dili",
            Tz::Asia__Dubai => "Asia/Dubai",
            Tz::Asia__Dushanbe => "Asia/Dushanbe",
            Tz::Asia__Famagusta => "Asia/Famagusta",
            Tz::Asia__Gaza => "Asia/Gaza",
            Tz::Asia__Harbin => "Asia/Harbin",
            Tz::Asia__Hebron => "Asia/Hebron",
            Tz::Asia__Ho_Chi_Minh => "Asia/Ho_Chi_Minh",
            Tz::Asia__Hong_Kong => "Asia/Hong_Kong",
            Tz::Asia__Hovd => "Asia/Hovd",
            Tz::Asia__Irkutsk => "Asia/Irkutsk",
            Tz::Asia__Istanbul => "Asia/Istanbul",
            Tz::Asia__Jakarta => "Asia/Jakarta",
            Tz::Asia__Jayapura => "Asia/Jayapura",
            Tz::Asia__Jerusalem => "Asia/Jerusalem",
            Tz::Asia__Kabul => "Asia/Kabul",
            Tz::Asia__Kamchatka => "Asia/Kamchatka",
            Tz::Asia__Karachi => "Asia/Karachi",
            Tz::Asia__Kashgar => "Asia/Kashgar",
            Tz::Asia__Kathmandu => "Asia/Kathmandu",
            Tz::Asia__Katmandu => "Asia/Katmandu",
            Tz::Asia__Khandyga => "Asia/Khandyga",
            Tz::Asia__Kolkata => "Asia/Kolkata",
            Tz::Asia__Krasnoyarsk => "Asia/Krasnoyarsk",
            Tz::Asia__Kuala_Lumpur => "Asia/Kuala_Lumpur",
            Tz::Asia__Kuching => "Asia/Kuching",
            Tz::Asia__Kuwait => "Asia/Kuwait",
            Tz::Asia__Macao => "Asia/Macao",
            Tz::Asia__Macau => "Asia/Macau",
            Tz::Asia__Magadan => "Asia/Magadan",
            Tz::Asia__Makassar => "Asia/Makassar",
            Tz::Asia__Manila => "Asia/Manila",
            Tz::Asia__Muscat => "Asia/Muscat",
            Tz::Asia__Nicosia => "Asia/Nicosia",
            Tz::Asia__Novokuznetsk => "Asia/Novokuznetsk",
            Tz::Asia__Novosibirsk => "Asia/Novosibirsk",
            Tz::Asia__Omsk => "Asia/Omsk",
            Tz::Asia__Oral => "Asia/Oral",
            Tz::Asia__Phnom_Penh => "Asia/Phnom_Penh",
            Tz::Asia__Pontianak => "Asia/Pontianak",
            Tz::Asia__Pyongyang => "Asia/Pyongyang",
            Tz::Asia__Qatar => "Asia/Qatar",
            Tz::Asia__Qostanay => "Asia/Qostanay",
            Tz::Asia__Qyzylorda => "Asia/Qyzylorda",
            Tz::Asia__Rangoon => "Asia/Rangoon",
            Tz::Asia__Riyadh => "Asia/Riyadh",
            Tz::Asia__Saigon => "Asia/Saigon",
            Tz::Asia__Sakhalin => "Asia/Sakhalin",
            Tz::Asia__Samarkand => "Asia/Samarkand",
            Tz::Asia__Seoul => "Asia/Seoul",
            Tz::Asia__Shanghai => "Asia/Shanghai",
            Tz::Asia__Singapore => "Asia/Singapore",
            Tz::Asia__Srednekolymsk => "Asia/Srednekolymsk",
            Tz::Asia__Taipei => "Asia/Taipei",
            Tz::Asia__Tashkent => "Asia/Tashkent",
            Tz::Asia__Tbilisi => "Asia/Tbilisi",
            Tz::Asia__Tehran => "Asia/Tehran",
            Tz::Asia__Tel_Aviv => "Asia/Tel_Aviv",
            Tz::Asia__Thimbu => "Asia/Thimbu",
            Tz::Asia__Thimphu => "Asia/Thimphu",
            Tz::Asia__Tokyo => "Asia/Tokyo",
            Tz::Asia__Tomsk => "Asia/Tomsk",
            Tz::Asia__Ujung_Pandang => "Asia/Ujung_Pandang",
            Tz::Asia__Ulaanbaatar => "Asia/Ulaanbaatar",
            Tz::Asia__Ulan_Bator => "Asia/Ulan_Bator",
            Tz::Asia__Urumqi => "Asia/Urumqi",
            Tz::Asia__UstNera => "Asia/Ust-Nera",
            Tz::Asia__Vientiane => "Asia/Vientiane",
            Tz::Asia__Vladivostok => "Asia/Vladivostok",
            Tz::Asia__Yakutsk => "Asia/Yakutsk",
            Tz::Asia__Yangon => "Asia/Yangon",
            Tz::Asia__Yekaterinburg => "Asia/Yekaterinburg",
            Tz::Asia__Yerevan => "Asia/Yerevan",
            Tz::Atlantic__Azores => "Atlantic/Azores",
            Tz::Atlantic__Bermuda => "Atlantic/Bermuda",
            Tz::Atlantic__Canary => "Atlantic/Canary",
            Tz::Atlantic__Cape_Verde => "Atlantic/Cape_Verde",
            Tz::Atlantic__Faeroe => "Atlantic/Faeroe",
            Tz::Atlantic__Faroe => "Atlantic/Faroe",
            Tz::Atlantic__Jan_Mayen => "Atlantic/Jan_Mayen",
            Tz::Atlantic__Madeira => "Atlantic/Madeira",
            Tz::Atlantic__Reykjavik => "Atlantic/Reykjavik",
            Tz::Atlantic__South_Georgia => "Atlantic/South_Georgia",
            Tz::Atlantic__St_Helena => "Atlantic/St_Helena",
            Tz::Atlantic__Stanley => "Atlantic/Stanley",
            Tz::Australia__ACT => "Australia/ACT",
            Tz::Australia__Adelaide => "Australia/Adelaide",
            Tz::Australia__Brisbane => "Australia/Brisbane",
            Tz::Australia__Broken_Hill => "Australia/Broken_Hill",
            Tz::Australia__Canberra => "Australia/Canberra",
            Tz::Australia__Currie => "Australia/Currie",
            Tz::Australia__Darwin => "Australia/Darwin",
            Tz::Australia__Eucla => "Australia/Eucla",
            Tz::Australia__Hobart => "Australia/Hobart",
            Tz::Australia__LHI => "Australia/LHI",
            Tz::Australia__Lindeman => "Australia/Lindeman",
            Tz::Australia__Lord_Howe => "Australia/Lord_Howe",
            Tz::Australia__Melbourne => "Australia/Melbourne",
            Tz::Australia__NSW => "Australia/NSW",
            Tz::Australia__North => "Australia/North",
            Tz::Australia__Perth => "Australia/Perth",
            Tz::Australia__Queensland => "Australia/Queensland",
            Tz::Australia__South => "Australia/South",
            Tz::Australia__Sydney => "Australia/Sydney",
            Tz::Australia__Tasmania => "Australia/Tasmania",
            Tz::Australia__Victoria => "Australia/Victoria",
            Tz::Australia__West => "Australia/West",
            Tz::Australia__Yancowinna => "Australia/Yancowinna",
            Tz::Brazil__Acre => "Brazil/Acre",
            Tz::Brazil__DeNoronha => "Brazil/DeNoronha",
            Tz::Brazil__East => "Brazil/East",
            Tz::Brazil__West => "Brazil/West",
            Tz::CET => "CET",
            Tz::CST6CDT => "CST6CDT",
            Tz::Canada__Atlantic => "Canada/Atlantic",
            Tz::Canada__Central => "Canada/Central",
            Tz::Canada__Eastern => "Canada/Eastern",
            Tz::Canada__Mountain => "Canada/Mountain",
            Tz::Canada__Newfoundland => "Canada/Newfoundland",
            Tz::Canada__Pacific => "Canada/Pacific",
            Tz::Canada__Saskatchewan => "Canada/Saskatchewan",
            Tz::Canada__Yukon => "Canada/Yukon",
            Tz::Chile__Continental => "Chile/Continental",
            Tz::Chile__EasterIsland => "Chile/EasterIsland",
            Tz::Cuba => "Cuba",
            Tz::EET => "EET",
            Tz::EST => "EST",
            Tz::EST5EDT => "EST5EDT",
            Tz::Egypt => "Egypt",
            Tz::Eire => "Eire",
            Tz::Etc__GMT => "Etc/GMT",
            Tz::Etc__GMTPlus0 => "Etc/GMT+0",
            Tz::Etc__GMTPlus1 => "Etc/GMT+1",
            Tz::Etc__GMTPlus10 => "Etc/GMT+10",
            Tz::Etc__GMTPlus11 => "Etc/GMT+11",
            Tz::Etc__GMTPlus12 => "Etc/GMT+12",
            Tz::Etc__GMTPlus2 => "Etc/GMT+2",
            Tz::Etc__GMTPlus3 => "Etc/GMT+3",
            Tz::Etc__GMTPlus4 => "Etc/GMT+4",
            Tz::Etc__GMTPlus5 => "Etc/GMT+5",
            Tz::Etc__GMTPlus6 => "Etc/GMT+6",
            Tz::Etc__GMTPlus7 => "Etc/GMT+7",
            Tz::Etc__GMTPlus8 => "Etc/GMT+8",
            Tz::Etc__GMTPlus9 => "Etc/GMT+9",
            Tz::Etc__GMTMinus0 => "Etc/GMT-0",
            Tz::Etc__GMTMinus1 => "Etc/GMT-1",
            Tz::Etc__GMTMinus10 => "Etc/GMT-10",
            Tz::Etc__GMTMinus11 => "Etc/GMT-11",
            Tz::Etc__GMTMinus12 => "Etc/GMT-12",
            Tz::Etc__GMTMinus13 => "Etc/GMT-13",
            Tz::Etc__GMTMinus14 => "Etc/GMT-14",
            Tz::Etc__GMTMinus2 => "Etc/GMT-2",
            Tz::Etc__GMTMinus3 => "Etc/GMT-3",
            Tz::Etc__GMTMinus4 => "Etc/GMT-4",
            Tz::Etc__GMTMinus5 => "Etc/GMT-5",
            Tz::Etc__GMTMinus6 => "Etc/GMT-6",
            Tz::Etc__GMTMinus7 => "Etc/GMT-7",
            Tz::Etc__GMTMinus8 => "Etc/GMT-8",
            Tz::Etc__GMTMinus9 => "Etc/GMT-9",
            Tz::Etc__GMT0 => "Etc/GMT0",
            Tz::Etc__Greenwich => "Etc/Greenwich",
            Tz::Etc__UCT => "Etc/UCT",
            Tz::Etc__UTC => "Etc/UTC",
            Tz::Etc__Universal => "Etc/Universal",
            Tz::Etc__Zulu => "Etc/Zulu",
            Tz::Europe__Amsterdam => "Europe/Amsterdam",
            Tz::Europe__Andorra => "Europe/Andorra",
            Tz::Europe__Astrakhan => "Europe/Astrakhan",
            Tz::Europe__Athens => "Europe/Athens",
            Tz::Europe__Belfast => "Europe/Belfast",
            Tz::Europe__Belgrade => "Europe/Belgrade",
            Tz::Europe__Berlin => "Europe/Berlin",
            Tz::Europe__Bratislava => "Europe/Bratislava",
            Tz::Europe__Brussels => "Europe/Brussels",
            Tz::Europe__Bucharest => "Europe/Bucharest",
            Tz::Europe__Budapest => "Europe/Budapest",
            Tz::Europe__Busingen => "Europe/Busingen",
            Tz::Europe__Chisinau => "Europe/Chisinau",
            Tz::Europe__Copenhagen => "Europe/Copenhagen",
            Tz::Europe__Dublin => "Europe/Dublin",
            Tz::Europe__Gibraltar => "Europe/Gibraltar",
            Tz::Europe__Guernsey => "Europe/Guernsey",
            Tz::Europe__Helsinki => "Europe/Helsinki",
            Tz::Europe__Isle_of_Man => "Europe/Isle_of_Man",
            Tz::Europe__Istanbul => "Europe/Istanbul",
            Tz::Europe__Jersey => "Europe/Jersey",
            Tz::Europe__Kaliningrad => "Europe/Kaliningrad",
            Tz::Europe__Kiev => "Europe/Kiev",
            Tz::Europe__Kirov => "Europe/Kirov",
            Tz::Europe__Kyiv => "Europe/Kyiv",
            Tz::Europe__Lisbon => "Europe/Lisbon",
            Tz::Europe__Ljubljana => "Europe/Ljubljana",
            Tz::Europe__London => "Europe/London",
            Tz::Europe__Luxembourg => "Europe/Luxembourg",
            Tz::Europe__Madrid => "Europe/Madrid",
            Tz::Europe__Malta => "Europe/Malta",
            Tz::Europe__Mariehamn => "Europe/Mariehamn",
            Tz::Europe__Minsk => "Europe/Minsk",
            Tz::Europe__Monaco => "Europe/Monaco",
            Tz::Europe__Moscow => "Europe/Moscow",
            Tz::Europe__Nicosia => "Europe/Nicosia",
            Tz::Europe__Oslo => "Europe/Oslo",
            Tz::Europe__Paris => "Europe/Paris",
            Tz::Europe__Podgorica => "Europe/Podgorica",
            Tz::Europe__Prague => "Europe/Prague",
            Tz::Europe__Riga => "Europe/Riga",
            Tz::Europe__Rome => "Europe/Rome",
            Tz::Europe__Samara => "Europe/Samara",
            Tz::Europe__San_Marino => "Europe/San_Marino",
            Tz::Europe__Sarajevo => "Europe/Sarajevo",
            Tz::Europe__Saratov => "Europe/Saratov",
            Tz::Europe__Simferopol => "Europe/Simferopol",
            Tz::Europe__Skopje => "Europe/Skopje",
            Tz::Europe__Sofia => "Europe/Sofia",
            Tz::Europe__Stockholm => "Europe/Stockholm",
            Tz::Europe__Tallinn => "Europe/Tallinn",
            Tz::Europe__Tirane => "Europe/Tirane",
            Tz::Europe__Tiraspol => "Europe/Tiraspol",
            Tz::Europe__Ulyanovsk => "Europe/Ulyanovsk",
            Tz::Europe__Uzhgorod => "Europe/Uzhgorod",
            Tz::Europe__Vaduz => "Europe/Vaduz",
            Tz::Europe__Vatican => "Europe/Vatican",
            Tz::Europe__Vienna => "Europe/Vienna",
            Tz::Europe__Vilnius => "Europe/Vilnius",
            Tz::Europe__Volgograd => "Europe/Volgograd",
            Tz::Europe__Warsaw => "Europe/Warsaw",
            Tz::Europe__Zagreb => "Europe/Zagreb",
            Tz::Europe__Zaporozhye => "Europe/Zaporozhye",
            Tz::Europe__Zurich => "Europe/Zurich",
            Tz::GB => "GB",
            Tz::GBEire => "GB-Eire",
            Tz::GMT => "GMT",
            Tz::GMTPlus0 => "GMT+0",
            Tz::GMTMinus0 => "GMT-0",
            Tz::GMT0 => "GMT0",
            Tz::Greenwich => "Greenwich",
            Tz::HST => "HST",
            Tz::Hongkong => "Hongkong",
            Tz::Iceland => "Iceland",
            Tz::Indian__Antananarivo => "Indian/Antananarivo",
            Tz::Indian__Chagos => "Indian/Chagos",
            Tz::Indian__Christmas => "Indian/Christmas",
            Tz::Indian__Cocos => "Indian/Cocos",
            Tz::Indian__Comoro => "Indian/Comoro",
            Tz::Indian__Kerguelen => "Indian/Kerguelen",
            Tz::Indian__Mahe => "Indian/Mahe",
            Tz::Indian__Maldives => "Indian/Maldives",
            Tz::Indian__Mauritius => "Indian/Mauritius",
            Tz::Indian__Mayotte => "Indian/Mayotte",
            Tz::Indian__Reunion => "Indian/Reunion",
            Tz::Iran => "Iran",
            Tz::Israel => "Israel",
            Tz::Jamaica => "Jamaica",
            Tz::Japan => "Japan",
            Tz::Kwajalein => "Kwajalein",
            Tz::Libya => "Libya",
            Tz::MET => "MET",
            Tz::MST => "MST",
            Tz::MST7MDT => "MST7MDT",
            Tz::Mexico__BajaNorte => "Mexico/BajaNorte",
            Tz::Mexico__BajaSur => "Mexico/BajaSur",
            Tz::Mexico__General => "Mexico/General",
            Tz::NZ => "NZ",
            Tz::NZCHAT => "NZ-CHAT",
            Tz::Navajo => "Navajo",
            Tz::PRC => "PRC",
            Tz::PST8PDT => "PST8PDT",
            Tz::Pacific__Apia => "Pacific/Apia",
            Tz::Pacific__Auckland => "Pacific/Auckland",
            Tz::Pacific__Bougainville => "Pacific/Bougainville",
            Tz::Pacific__Chatham => "Pacific/Chatham",
            Tz::Pacific__Chuuk => "Pacific/Chuuk",
            Tz::Pacific__Easter => "Pacific/Easter",
            Tz::Pacific__Efate => "Pacific/Efate",
            Tz::Pacific__Enderbury => "Pacific/Enderbury",
            Tz::Pacific__Fakaofo => "Pacific/Fakaofo",
            Tz::Pacific__Fiji => "Pacific/Fiji",
            Tz::Pacific__Funafuti => "Pacific/Funafuti",
            Tz::Pacific__Galapagos => "Pacific/Galapagos",
            Tz::Pacific__Gambier => "Pacific/Gambier",
            Tz::Pacific__Guadalcanal => "Pacific/Guadalcanal",
            Tz::Pacific__Guam => "Pacific/Guam",
            Tz::Pacific__Honolulu => "Pacific/Honolulu",
            Tz::Pacific__Johnston => "Pacific/Johnston",
            Tz::Pacific__Kanton => "Pacific/Kanton",
            Tz::Pacific__Kiritimati => "Pacific/Kiritimati",
            Tz::Pacific__Kosrae => "Pacific/Kosrae",
            Tz::Pacific__Kwajalein => "Pacific/Kwajalein",
            Tz::Pacific__Majuro => "Pacific/Majuro",
            Tz::Pacific__Marquesas => "Pacific/Marquesas",
            Tz::Pacific__Midway => "Pacific/Midway",
            Tz::Pacific__Nauru => "Pacific/Nauru",
            Tz::Pacific__Niue => "Pacific/Niue",
            Tz::Pacific__Norfolk => "Pacific/Norfolk",
            Tz::Pacific__Noumea => "Pacific/Noumea",
            Tz::Pacific__Pago_Pago => "Pacific/Pago_Pago",
            Tz::Pacific__Palau => "Pacific/Palau",
            Tz::Pacific__Pitcairn => "Pacific/Pitcairn",
            Tz::Pacific__Pohnpei => "Pacific/Pohnpei",
            Tz::Pacific__Ponape => "Pacific/Ponape",
            Tz::Pacific__Port_Moresby => "Pacific/Port_Moresby",
            Tz::Pacific__Rarotonga => "Pacific/Rarotonga",
            Tz::Pacific__Saipan => "Pacific/Saipan",
            Tz::Pacific__Samoa => "Pacific/Samoa",
            Tz::Pacific__Tahiti => "Pacific/Tahiti",
            Tz::Pacific__Tarawa => "Pacific/Tarawa",
            Tz::Pacific__Tongatapu => "Pacific/Tongatapu",
            Tz::Pacific__Truk => "Pacific/Truk",
            Tz::Pacific__Wake => "Pacific/Wake",
            Tz::Pacific__Wallis => "Pacific/Wallis",
            Tz::Pacific__Yap => "Pacific/Yap",
            Tz::Poland => "Poland",
            Tz::Portugal => "Portugal",
            Tz::ROC => "ROC",
            Tz::ROK => "ROK",
            Tz::Singapore => "Singapore",
            Tz::Turkey => "Turkey",
            Tz::UCT => "UCT",
            Tz::US__Alaska => "US/Alaska",
            Tz::US__Aleutian => "US/Aleutian",
            Tz::US__Arizona => "US/Arizona",
            Tz::US__Central => "US/Central",
            Tz::US__EastIndiana => "US/East-Indiana",
            Tz::US__Eastern => "US/Eastern",
            Tz::US__Hawaii => "US/Hawaii",
            Tz::US__IndianaStarke => "US/Indiana-Starke",
            Tz::US__Michigan => "US/Michigan",
            Tz::US__Mountain => "US/Mountain",
            Tz::US__Pacific => "US/Pacific",
            Tz::US__Samoa => "US/Samoa",
            Tz::UTC => "UTC",
            Tz::Universal => "Universal",
            Tz::WSU => "W-SU",
            Tz::WET => "WET",
            Tz::Zulu => "Zulu",
        }
    }
}
impl Debug for Tz {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        f.write_str(self.name().as_ref())
    }
}

impl Display for Tz {
    fn fmt(&self, f: &mut Formatter) -> fmt::Result {
        f.write_str(self.name().as_ref())
    }
}
impl TimeSpans for Tz {
    fn timespans(&self) -> FixedTimespanSet {
        crate::spans::of(*self)
    }
}

/// An array of every known variant
///
/// Useful for iterating over known timezones:
///
/// ```
/// use chrono_tz::{TZ_VARIANTS, Tz};
/// assert!(TZ_VARIANTS.iter().any(|v| *v == Tz::UTC));
/// ```
pub static TZ_VARIANTS: [Tz; 597] = [
    Tz::Africa__Abidjan,
    Tz::Africa__Accra,
    Tz::Africa__Addis_Ababa,
    Tz::Africa__Algiers,
    Tz::Africa__Asmara,
    Tz::Africa__Asmera,
    Tz::Africa__Bamako,
    Tz::Africa__Bangui,
    Tz::Africa__Banjul,
    Tz::Africa__Bissau,
    Tz::Africa__Blantyre,
    Tz::Africa__Brazzaville,
    Tz::Africa__Bujumbura,
    Tz::Africa__Cairo,
    Tz::Africa__Casablanca,
    Tz::Africa__Ceuta,
    Tz::Africa__Conakry,
    Tz::Africa__Dakar,
    Tz::Africa__Dar_es_Salaam,
    Tz::Africa__Djibouti,
    Tz::Africa__Douala,
    Tz::Africa__El_Aaiun,
    Tz::Africa__Freetown,
    Tz::Africa__Gaborone,
    Tz::Africa__Harare,
    Tz::Africa__Johannesburg,
    Tz::Africa__Juba,
    Tz::Africa__Kampala,
    Tz::Africa__Khartoum,
    Tz::Africa__Kigali,
    Tz::Africa__Kinshasa,
    Tz::Africa__Lagos,
    Tz::Africa__Libreville,
    Tz::Africa__Lome,
    Tz::Africa__Luanda,
    Tz::Africa__Lubumbashi,
    Tz::Africa__Lusaka,
    Tz::Africa__Malabo,
    Tz::Africa__Maputo,
    Tz::Africa__Maseru,
    Tz::Africa__Mbabane,
    Tz::Africa__Mogadishu,
    Tz::Africa__Monrovia,
    Tz::Africa__Nairobi,
    Tz::Africa__Ndjamena,
    Tz::Africa__Niamey,
    Tz::Africa__Nouakchott,
    Tz::Africa__Ouagadougou,
    Tz::Africa__PortoNovo,
    Tz::Africa__Sao_Tome,
    Tz::Africa__Timbuktu,
    Tz::Africa__Tripoli,
    Tz::Africa__Tunis,
    Tz::Africa__Windhoek,
    Tz::America__Adak,
    Tz::America__Anchorage,
    Tz::America__Anguilla,
    Tz::America__Antigua,
    Tz::America__Araguaina,
    Tz::America__Argentina__Buenos_Aires,
    Tz::America__Argentina__Catamarca,
    Tz::America__Argentina__ComodRivadavia,
    Tz::America__Argentina__Cordoba,
    Tz::America__Argentina__Jujuy,
    Tz::America__Argentina__La_Rioja,
    Tz::America__Argentina__Mendoza,
    Tz::America__Argentina__Rio_Gallegos,
    Tz::America__Argentina__Salta,
    Tz::America__Argentina__San_Juan,
    Tz::America__Argentina__San_Luis,
    Tz::America__Argentina__Tucuman,
    Tz::America__Argentina__Ushuaia,
    Tz::America__Aruba,
    Tz::America__Asuncion,
    Tz::America__Atikokan,
    Tz::America__Atka,
    Tz::America__Bahia,
    Tz::America__Bahia_Banderas,
    Tz::America__Barbados,
    Tz::America__Belem,
    Tz::America__Belize,
    Tz::America__BlancSablon,
    Tz::America__Boa_Vista,
    Tz::America__Bogota,
    Tz::America__Boise,
    Tz::America__Buenos_Aires,
    Tz::America__Cambridge_Bay,
    Tz::America__Campo_Grande,
    Tz::America__Cancun,
    Tz::America__Caracas,
    Tz::America__Catamarca,
    Tz::America__Cayenne,
    Tz::America__Cayman,
    Tz::America__Chicago,
    Tz::America__Chihuahua,
    Tz::America__Ciudad_Juarez,
    Tz::America__Coral_Harbour,
    Tz::America__Cordoba,
    Tz::America__Costa_Rica,
    Tz::America__Coyhaique,
    Tz::America__Creston,
    Tz::America__Cuiaba,
    Tz::America__Curacao,
    Tz::America__Danmarkshavn,
    Tz::America__Dawson,
    Tz::America__Dawson_Creek,
    Tz::America__Denver,
    Tz::America__Detroit,
    Tz::America__Dominica,
    Tz::America__Edmonton,
    Tz::America__Eirunepe,
    Tz::America__El_Salvador,
    Tz::America__Ensenada,
    Tz::America__Fort_Nelson,
    Tz::America__Fort_Wayne,
    Tz::America__Fortaleza,
    Tz::America__Glace_Bay,
    Tz::America__Godthab,
    Tz::America__Goose_Bay,
    Tz::America__Grand_Turk,
    Tz::America__Grenada,
    Tz::America__Guadeloupe,
    Tz::America__Guatemala,
    Tz::America__Guayaquil,
    Tz::America__Guyana,
    Tz::America__Halifax,
    Tz::America__Havana,
    Tz::America__Hermosillo,
    Tz::America__Indiana__Indianapolis,
    Tz::America__Indiana__Knox,
    Tz::America__Indiana__Marengo,
    Tz::America__Indiana__Petersburg,
    Tz::America__Indiana__Tell_City,
    Tz::America__Indiana__Vevay,
    Tz::America__Indiana__Vincennes,
    Tz::America__Indiana__Winamac,
    Tz::America__Indianapolis,
    Tz::America__Inuvik,
    Tz::America__Iqaluit,
    Tz::America__Jamaica,
    Tz::America__Jujuy,
    Tz::America__Juneau,
    Tz::America__Kentucky__Louisville,
    Tz::America__Kentucky__Monticello,
    Tz::America__Knox_IN,
    Tz::America__Kralendijk,
    Tz::America__La_Paz,
    Tz::America__Lima,
    Tz::America__Los_Angeles,
    Tz::America__Louisville,
    Tz::America__Lower_Princes,
    Tz::America__Maceio,
    Tz::America__Managua,
    Tz::America__Manaus,
    Tz::America__Marigot,
    Tz::America__Martinique,
    Tz::America__Matamoros,
    Tz::America__Mazatlan,
    Tz::America__Mendoza,
    Tz::America__Menominee,
    Tz::America__Merida,
    Tz::America__Metlakatla,
    Tz::America__Mexico_City,
    Tz::America__Miquelon,
    Tz::America__Moncton,
    Tz::America__Monterrey,
    Tz::America__Montevideo,
    Tz::America__Montreal,
    Tz::America__Montserrat,
    Tz::America__Nassau,
    Tz::America__New_York,
    Tz::America__Nipigon,
    Tz::America__Nome,
    Tz::America__Noronha,
    Tz::America__North_Dakota__Beulah,
    Tz::America__North_Dakota__Center,
    Tz::America__North_Dakota__New_Salem,
    Tz::America__Nuuk,
    Tz::America__Ojinaga,
    Tz::America__Panama,
    Tz::America__Pangnirtung,
    Tz::America__Paramaribo,
    Tz::America__Phoenix,
    Tz::America__PortauPrince,
    Tz::America__Port_of_Spain,
    Tz::America__Porto_Acre,
    Tz::America__Porto_Velho,
    Tz::America__Puerto_Rico,
    Tz::America__Punta_Arenas,
    Tz::America__Rainy_River,
    Tz::America__Rankin_Inlet,
    Tz::America__Recife,
    Tz::America__Regina,
    Tz::America__Resolute,
    Tz::America__Rio_Branco,
    Tz::America__Rosario,
    Tz::America__Santa_Isabel,
    Tz::America__Santarem,
    Tz::America__Santiago,
    Tz::America__Santo_Domingo,
    Tz::America__Sao_Paulo,
    Tz::America__Scoresbysund,
    Tz::America__Shiprock,
    Tz::America__Sitka,
    Tz::America__St_Barthelemy,
    Tz::America__St_Johns,
    Tz::America__St_Kitts,
    Tz::America__St_Lucia,
    Tz::America__St_Thomas,
    Tz::America__St_Vincent,
    Tz::America__Swift_Current,
    Tz::America__Tegucigalpa,
    Tz::America__Thule,
    Tz::America__Thunder_Bay,
    Tz::America__Tijuana,
    Tz::America__Toronto,
    Tz::America__Tortola,
    Tz::America__Vancouver,
    Tz::America__Virgin,
    Tz::America__Whitehorse,
    Tz::America__Winnipeg,
    Tz::America__Yakutat,
    Tz::America__Yellowknife,
    Tz::Antarctica__Casey,
    Tz::Antarctica__Davis,
    Tz::Antarctica__DumontDUrville,
    Tz::Antarctica__Macquarie,
    Tz::Antarctica__Mawson,
    Tz::Antarctica__McMurdo,
    Tz::Antarctica__Palmer,
    Tz::Antarctica__Rothera,
    Tz::Antarctica__South_Pole,
    Tz::Antarctica__Syowa,
    Tz::Antarctica__Troll,
    Tz::Antarctica__Vostok,
    Tz::Arctic__Longyearbyen,
    Tz::Asia__Aden,
    Tz::Asia__Almaty,
    Tz::Asia__Amman,
    Tz::Asia__Anadyr,
    Tz::Asia__Aqtau,
    Tz::Asia__Aqtobe,
    Tz::Asia__Ashgabat,
    Tz::Asia__Ashkhabad,
    Tz::Asia__Atyrau,
    Tz::Asia__Baghdad,
    Tz::Asia__Bahrain,
    Tz::Asia__Baku,
    Tz::Asia__Bangkok,
    Tz::Asia__Barnaul,
    Tz::Asia__Beirut,
    Tz::Asia__Bishkek,
    Tz::Asia__Brunei,
    Tz::Asia__Calcutta,
    Tz::Asia__Chita,
    Tz::Asia__Choibalsan,
    Tz::Asia__Chongqing,
    Tz::Asia__Chungking,
    Tz::Asia__Colombo,
    Tz::Asia__Dacca,
    Tz::Asia__Damascus,
    Tz::Asia__Dhaka,
    Tz::Asia__Dili,
    Tz::Asia__Dubai,
    Tz::Asia__Dushanbe,
    Tz::Asia__Famagusta,
    Tz::Asia__Gaza,
    Tz::Asia__Harbin,
    Tz::Asia__Hebron,
    Tz::Asia__Ho_Chi_Minh,
    Tz::Asia__Hong_Kong,
    Tz::Asia__Hovd,
    Tz::Asia__Irkutsk,
    Tz::Asia__Istanbul,
    Tz::Asia__Jakarta,
    Tz::Asia__Jayapura,
    Tz::Asia__Jerusalem,
    Tz::Asia__Kabul,
    Tz::Asia__Kamchatka,
    Tz::Asia__Karachi,
    Tz::Asia__Kashgar,
    Tz::Asia__Kathmandu,
    Tz::Asia__Katmandu,
    Tz::Asia__Khandyga,
    Tz::Asia__Kolkata,
    Tz::Asia__Krasnoyarsk,
    Tz::Asia__Kuala_Lumpur,
    Tz::Asia__Kuching,
    Tz::Asia__Kuwait,
    Tz::Asia__Macao,
    Tz::Asia__Macau,
    Tz::Asia__Magadan,
    Tz::Asia__Makassar,
    Tz::Asia__Manila,
    Tz::Asia__Muscat,
    Tz::Asia__Nicosia,
    Tz::Asia__Novokuznetsk,
    Tz::Asia__Novosibirsk,
    Tz::Asia__Omsk,
    Tz::Asia__Oral,
    Tz::Asia__Phnom_Penh,
    Tz::Asia__Pontianak,
    Tz::Asia__Pyongyang,
    Tz::Asia__Qatar,
    Tz::Asia__Qostanay,
    Tz::Asia__Qyzylorda,
    Tz::Asia__Rangoon,
    Tz::Asia__Riyadh,
    Tz::Asia__Saigon,
    Tz::Asia__Sakhalin,
    Tz::Asia__Samarkand,
    Tz::Asia__Seoul,
    Tz::Asia__Shanghai,
    Tz::Asia__Singapore,
    Tz::Asia__Srednekolymsk,
    Tz::Asia__Taipei,
    Tz::Asia__Tashkent,
    Tz::Asia__Tbilisi,
    Tz::Asia__Tehran,
    Tz::Asia__Tel_Aviv,
    Tz::Asia__Thimbu,
    Tz::Asia__Thimphu,
    Tz::Asia__Tokyo,
    Tz::Asia__Tomsk,
    Tz::Asia__Ujung_Pandang,
    Tz::Asia__Ulaanbaatar,
    Tz::Asia__Ulan_Bator,
    Tz::Asia__Urumqi,
    Tz::Asia__UstNera,
    Tz::Asia__Vientiane,
    Tz::Asia__Vladivostok,
    Tz::Asia__Yakutsk,
    Tz::Asia__Yangon,
    Tz::Asia__Yekaterinburg,
    Tz::Asia__Yerevan,
    Tz::Atlantic__Azores,
    Tz::Atlantic__Bermuda,
    Tz::Atlantic__Canary,
    Tz::Atlantic__Cape_Verde,
    Tz::Atlantic__Faeroe,
    Tz::Atlantic__Faroe,
    Tz::Atlantic__Jan_Mayen,
    Tz::Atlantic__Madeira,
    Tz::Atlantic__Reykjavik,
    Tz::Atlantic__South_Georgia,
    Tz::Atlantic__St_Helena,
    Tz::Atlantic__Stanley,
    Tz::Australia__ACT,
    Tz::Australia__Adelaide,
    Tz::Australia__Brisbane,
    Tz::Australia__Broken_Hill,
    Tz::Australia__Canberra,
    Tz::Australia__Currie,
    Tz::Australia__Darwin,
    Tz::Australia__Eucla,
    Tz::Australia__Hobart,
    Tz::Australia__LHI,
    Tz::Australia__Lindeman,
    Tz::Australia__Lord_Howe,
    Tz::Australia__Melbourne,
    Tz::Australia__NSW,
    Tz::Australia__North,
    Tz::Australia__Perth,
    Tz::Australia__Queensland,
    Tz::Australia__South,
    Tz::Australia__Sydney,
    Tz::Australia__Tasmania,
    Tz::Australia__Victoria,
    Tz::Australia__West,
    Tz::Australia__Yancowinna,
    Tz::Brazil__Acre,
    Tz::Brazil__DeNoronha,
    Tz::Brazil__East,
    Tz::Brazil__West,
    Tz::CET,
    Tz::CST6CDT,
    Tz::Canada__Atlantic,
    Tz::Canada__Central,
    Tz::Canada__Eastern,
    Tz::Canada__Mountain,
    Tz::Canada__Newfoundland,
    Tz::Canada__Pacific,
    Tz::Canada__Saskatchewan,
    Tz::Canada__Yukon,
    Tz::Chile__Continental,
    Tz::Chile__EasterIsland,
    Tz::Cuba,
    Tz::EET,
    Tz::EST,
    Tz::EST5EDT,
    Tz::Egypt,
    Tz::Eire,
    Tz::Etc__GMT,
    Tz::Etc__GMTPlus0,
    Tz::Etc__GMTPlus1,
    Tz::Etc__GMTPlus10,
    Tz::Etc__GMTPlus11,
    Tz::Etc__GMTPlus12,
    Tz::Etc__GMTPlus2,
    Tz::Etc__GMTPlus3,
    Tz::Etc__GMTPlus4,
    Tz::Etc__GMTPlus5,
    Tz::Etc__GMTPlus6,
    Tz::Etc__GMTPlus7,
    Tz::Etc__GMTPlus8,
    Tz::Etc__GMTPlus9,
    Tz::Etc__GMTMinus0,
    Tz::Etc__GMTMinus1,
    Tz::Etc__GMTMinus10,
    Tz::Etc__GMTMinus11,
    Tz::Etc__GMTMinus12,
    Tz::Etc__GMTMinus13,
    Tz::Etc__GMTMinus14,
    Tz::Etc__GMTMinus2,
    Tz::Etc__GMTMinus3,
    Tz::Etc__GMTMinus4,
    Tz::Etc__GMTMinus5,
    Tz::Etc__GMTMinus6,
    Tz::Etc__GMTMinus7,
    Tz::Etc__GMTMinus8,
    Tz::Etc__GMTMinus9,
    Tz::Etc__GMT0,
    Tz::Etc__Greenwich,
    Tz::Etc__UCT,
    Tz::Etc__UTC,
    Tz::Etc__Universal,
    Tz::Etc__Zulu,
    Tz::Europe__Amsterdam,
    Tz::Europe__Andorra,
    Tz::Europe__Astrakhan,
    Tz::Europe__Athens,
    Tz::Europe__Belfast,
    Tz::Europe__Belgrade,
    Tz::Europe__Berlin,
    Tz::Europe__Bratislava,
    Tz::Europe__Brussels,
    Tz::Europe__Bucharest,
    Tz::Europe__Budapest,
    Tz::Europe__Busingen,
    Tz::Europe__Chisinau,
    Tz::Europe__Copenhagen,
    Tz::Europe__Dublin,
    Tz::Europe__Gibraltar,
    Tz::Europe__Guernsey,
    Tz::Europe__Helsinki,
    Tz::Europe__Isle_of_Man,
    Tz::Europe__Istanbul,
    Tz::Europe__Jersey,
    Tz::Europe__Kaliningrad,
    Tz::Europe__Kiev,
    Tz::Europe__Kirov,
    Tz::Europe__Kyiv,
    Tz::Europe__Lisbon,
    Tz::Europe__Ljubljana,
    Tz::Europe__London,
    Tz::Europe__Luxembourg,
    Tz::Europe__Madrid,
    Tz::Europe__Malta,
    Tz::Europe__Mariehamn,
    Tz::Europe__Minsk,
    Tz::Europe__Monaco,
    Tz::Europe__Moscow,
    Tz::Europe__Nicosia,
    Tz::Europe__Oslo,
    Tz::Europe__Paris,
    Tz::Europe__Podgorica,
    Tz::Europe__Prague,
    Tz::Europe__Riga,
    Tz::Europe__Rome,
    Tz::Europe__Samara,
    Tz::Europe__San_Marino,
    Tz::Europe__Sarajevo,
    Tz::Europe__Saratov,
    Tz::Europe__Simferopol,
    Tz::Europe__Skopje,
    Tz::Europe__Sofia,
    Tz::Europe__Stockholm,
    Tz::Europe__Tallinn,
    Tz::Europe__Tirane,
    Tz::Europe__Tiraspol,
    Tz::Europe__Ulyanovsk,
    Tz::Europe__Uzhgorod,
    Tz::Europe__Vaduz,
    Tz::Europe__Vatican,
    Tz::Europe__Vienna,
    Tz::Europe__Vilnius,
    Tz::Europe__Volgograd,
    Tz::Europe__Warsaw,
    Tz::Europe__Zagreb,
    Tz::Europe__Zaporozhye,
    Tz::Europe__Zurich,
    Tz::GB,
    Tz::GBEire,
    Tz::GMT,
    Tz::GMTPlus0,
    Tz::GMTMinus0,
    Tz::GMT0,
    Tz::Greenwich,
    Tz::HST,
    Tz::Hongkong,
    Tz::Iceland,
    Tz::Indian__Antananarivo,
    Tz::Indian__Chagos,
    Tz::Indian__Christmas,
    Tz::Indian__Cocos,
    Tz::Indian__Comoro,
    Tz::Indian__Kerguelen,
    Tz::Indian__Mahe,
    Tz::Indian__Maldives,
    Tz::Indian__Mauritius,
    Tz::Indian__Mayotte,
    Tz::Indian__Reunion,
    Tz::Iran,
    Tz::Israel,
    Tz::Jamaica,
    Tz::Japan,
    Tz::Kwajalein,
    Tz::Libya,
    Tz::MET,
    Tz::MST,
    Tz::MST7MDT,
    Tz::Mexico__BajaNorte,
    Tz::Mexico__BajaSur,
    Tz::Mexico__General,
    Tz::NZ,
    Tz::NZCHAT,
    Tz::Navajo,
    Tz::PRC,
    Tz::PST8PDT,
    Tz::Pacific__Apia,
    Tz::Pacific__Auckland,
    Tz::Pacific__Bougainville,
    Tz::Pacific__Chatham,
    Tz::Pacific__Chuuk,
    Tz::Pacific__Easter,
    Tz::Pacific__Efate,
    Tz::Pacific__Enderbury,
    Tz::Pacific__Fakaofo,
    Tz::Pacific__Fiji,
    Tz::Pacific__Funafuti,
    Tz::Pacific__Galapagos,
    Tz::Pacific__Gambier,
    Tz::Pacific__Guadalcanal,
    Tz::Pacific__Guam,
    Tz::Pacific__Honolulu,
    Tz::Pacific__Johnston,
    Tz::Pacific__Kanton,
    Tz::Pacific__Kiritimati,
    Tz::Pacific__Kosrae,
    Tz::Pacific__Kwajalein,
    Tz::Pacific__Majuro,
    Tz::Pacific__Marquesas,
    Tz::Pacific__Midway,
    Tz::Pacific__Nauru,
    Tz::Pacific__Niue,
    Tz::Pacific__Norfolk,
    Tz::Pacific__Noumea,
    Tz::Pacific__Pago_Pago,
    Tz::Pacific__Palau,
    Tz::Pacific__Pitcairn,
    Tz::Pacific__Pohnpei,
    Tz::Pacific__Ponape,
    Tz::Pacific__Port_Moresby,
    Tz::Pacific__Rarotonga,
    Tz::Pacific__Saipan,
    Tz::Pacific__Samoa,
    Tz::Pacific__Tahiti,
    Tz::Pacific__Tarawa,
    Tz::Pacific__Tongatapu,
    Tz::Pacific__Truk,
    Tz::Pacific__Wake,
    Tz::Pacific__Wallis,
    Tz::Pacific__Yap,
    Tz::Poland,
    Tz::Portugal,
    Tz::ROC,
    Tz::ROK,
    Tz::Singapore,
    Tz::Turkey,
    Tz::UCT,
    Tz::US__Alaska,
    Tz::US__Aleutian,
    Tz::US__Arizona,
    Tz::US__Central,
    Tz::US__EastIndiana,
    Tz::US__Eastern,
    Tz::US__Hawaii,
    Tz::US__IndianaStarke,
    Tz::US__Michigan,
    Tz::US__Mountain,
    Tz::US__Pacific,
    Tz::US__Samoa,
    Tz::UTC,
    Tz::Universal,
    Tz::WSU,
    Tz::WET,
    Tz::Zulu,
];