"""The built-in vocabularies: procedure types (names, abbreviations, CPT codes), session
services and referral types."""

from __future__ import annotations

DEFAULT_PROCEDURE_SYNONYMS: dict[str, tuple[str, ...]] = {
    # Checked in this order (``other`` first: known names of no tracked type, some of which
    # look like one; abdominoplasty's "abdominal lipectomy" before liposuction's "lipectomy").
    # A needle is a substring of the squashed name (accents, case, spaces and punctuation
    # removed); a needle starting with "=" is a whole word of the name: short abbreviations
    # and CPT codes, which as substrings would match unrelated names.
    # CPT codes (AMA CPT, integumentary and breast sections): 15876-15879 suction-assisted
    # lipectomy (head and neck, trunk, upper, lower extremity); 15830 excision of excess skin
    # and fat of the abdomen (panniculectomy) and 15847 its abdominoplasty add-on; 19318
    # reduction mammaplasty; 19316 mastopexy; 19300 mastectomy for gynecomastia (male breast
    # reduction); 15832 and 15836 excision of excess skin of the thigh and arm (thigh and arm
    # lifts, other). A BBL (gluteal fat grafting) has no code of its own: the fat grafting
    # codes, 15771-15774, also cover breasts and face, so they are not mapped. Names in
    # English plus common French, Spanish and German ones (lipoaspiration, abdominoplastie/-ia,
    # Fettabsaugung, Bauchdeckenstraffung, Brustverkleinerung, mamoplastia de reduccion).
    "other": (
        # Known procedures of no tracked type (the "other" pathway): lifts and contouring of
        # other areas (a body lift or belt lipectomy is circumferential, more than a tummy
        # tuck), face and breast augmentation; and "lipo" inside names that are not
        # liposuction: a lipoma or liposarcoma excision, non-surgical fat reduction
        # (cryolipolysis, injection lipolysis) with no MLD course.
        "facelift", "rhytidectomy", "necklift", "thighlift", "thighplasty", "brachioplasty",
        "armlift", "bodylift", "beltlipectomy", "circumferentiallipectomy", "rhinoplasty",
        "blepharoplasty", "otoplasty", "breastaugmentation", "augmentationmammaplasty",
        "augmentationmammoplasty", "breastimplant", "=15832", "=15836",
        "lipoma", "liposarcoma", "cryolipolysis", "coolsculpt", "injectionlipolysis",
        "lipolysisinjection", "lipodissolve", "kybella", "deoxycholic",
    ),
    "bbl": (
        "bbl", "brazilianbuttlift", "brazilianbumlift", "buttlift", "bumlift", "buttocklift",
        "gluteal", "gluteo", "buttockaugmentation", "buttaugmentation", "fattransfertothebuttock",
        "fattransfertobuttock", "fattransferbuttock", "fatgrafttobuttock", "fatgraftingtobuttock",
        "fatgraftbuttock", "fatgraftingbuttock", "fatgrafttothebuttock", "fatgraftingtothebuttock",
        "buttockfat", "buttocklipofilling",
        "lipofillingbuttock", "lipofillingofthebuttock", "lipofillingtothebuttock",
    ),
    "abdominoplasty": (
        "abdominoplast", "tummytuck", "panniculectomy", "abdominallipectomy", "dermolipectomy",
        "bauchdeckenstraffung", "bauchstraffung", "plastiaabdominal", "=15830", "=15847",
    ),
    "breast_reduction": (
        "breastreduction", "mastopexy", "breastlift", "reductionmammaplasty",
        "reductionmammoplasty", "reductionmammoplastie", "mammaplastyreduction",
        "mammoplastyreduction", "mammareduction", "mammareduktion", "reductionmammaire",
        "brustverkleinerung", "bruststraffung", "mamoplastiadereduccion", "reducciondemama",
        "gynecomastia", "gynaecomastia", "gynecomastie", "=19318", "=19316", "=19300",
    ),
    "liposuction": (
        "liposuction", "liposuccion", "lipo", "liposculpt", "lipectomy", "suctionassisted",
        "fettabsaugung", "vaser", "bodytite", "waterjet", "=sal", "=pal", "=ual", "=lal",
        "=rfal", "=wal", "=15876", "=15877", "=15878", "=15879",
    ),
}  # fmt: skip

# Session services other than MLD, by the name configuration gives them ([services.<name>]).
# MLD's own names are the setting ``ingest.mld_services`` (lymph, mld, drainage: substrings, as
# ever), checked before these; ``[services.<name>] names`` are checked before both. Needles as
# above ("=" for a whole word). Checked in this order: a scar massage or a sports massage that
# calls itself "deep tissue" too is taken for its purpose; ``wellness`` holds massages that are
# no medical service (a clinic's spa menu): known, so never quarantined, and counted as a
# service nobody configured unless ``[services.wellness]`` is added.
DEFAULT_SERVICE_SYNONYMS: dict[str, tuple[str, ...]] = {
    # scar-tissue massage after surgery (Narbenmassage, massage cicatriciel, cicatriz)
    "scar": ("scar", "cicatri", "narbe", "keloid"),
    # massage after immobilisation and myofascial work (MFR: myofascial release)
    "deep_tissue": (
        "deeptissue", "deepmassage", "myofascial", "=mfr", "triggerpoint", "softtissue",
        "tiefengewebe", "massageprofond", "tejidoprofundo",
    ),
    # early massage after an injury; sports massage is given for the same reasons
    "post_injury": ("injury", "injured", "sport", "sprain", "whiplash", "postacute"),
    "wellness": (
        "swedish", "relax", "hotstone", "aromatherap", "reflexolog", "prenatal", "pregnancy",
        "shiatsu", "thaimassage", "wellness", "spamassage", "headmassage", "indianhead",
    ),
}  # fmt: skip

# Referral types (``referrals_*`` exports), in the order they are checked: a scar after
# fracture surgery is a scar referral, a fracture suffered in an injury a fracture.
DEFAULT_REFERRAL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "post_surgical_scar": ("scar", "cicatri", "keloid", "narbe"),
    "fracture_immobilisation": (
        "fracture", "immobilis", "immobiliz", "cast", "brace", "splint", "plaster", "broken",
        "=orif", "fraktur",
    ),
    "injury": (
        "injury", "injured", "sprain", "strain", "whiplash", "contusion", "bruise", "tear",
        "ligament", "tendon", "trauma", "sport", "=acl", "=mcl", "verletzung", "lesion",
    ),
}  # fmt: skip
