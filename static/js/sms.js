/* SMS encoding and segments, counted the way carriers split (the same rules as routing/sms.py):
 * GSM-7 160 septets in one text, 153 per part of a longer one; UCS-2 70 / 67 UTF-16 code units.
 * A character never straddles two parts: an escape-coded GSM-7 character (2 septets) or a
 * surrogate pair (an emoji, 2 code units) that does not fit whole starts the next part. */
(function () {
  "use strict";
  var GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXT = "^{}\\[~]|€\f";

  /** Segments for the unit sizes of a body's indivisible characters: greedy parts, nothing split. */
  function parts(sizes, units, single, part) {
    if (units <= single) return 1;
    var segments = 1, room = part;
    for (var i = 0; i < sizes.length; i++) {
      if (sizes[i] > room) { segments += 1; room = part; }
      room -= sizes[i];
    }
    return segments;
  }

  /** {encoding, units, segments, perSegment, culprit}; an empty body is 0 segments (nothing to send yet). */
  function info(body) {
    var sizes = [], units = 0, culprit = null, i, c;
    for (i = 0; i < body.length; i++) {
      c = body[i];
      if (GSM_BASIC.indexOf(c) >= 0) { sizes.push(1); units += 1; }
      else if (GSM_EXT.indexOf(c) >= 0) { sizes.push(2); units += 2; }
      else { culprit = String.fromCodePoint(body.codePointAt(i)); break; }
    }
    if (culprit === null) {
      return { encoding: "gsm7", units: units, segments: units === 0 ? 0 : parts(sizes, units, 160, 153),
               perSegment: units <= 160 ? 160 : 153, culprit: null };
    }
    sizes = [];
    for (i = 0; i < body.length; i++) {
      var cp = body.codePointAt(i);
      if (cp > 0xffff) { sizes.push(2); i++; } else sizes.push(1);  // a surrogate pair moves as one
    }
    units = body.length;
    return { encoding: "ucs2", units: units, segments: parts(sizes, units, 70, 67), perSegment: units <= 70 ? 70 : 67,
             culprit: culprit };
  }

  window.CxSms = { info: info };
})();
