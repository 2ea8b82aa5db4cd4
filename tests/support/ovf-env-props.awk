# ovf-env-props.awk: prints "OVF-PROP key=value" for every Property element of
# a DSP8027 OVF environment document (ovf-env.xml), in document order.
# Runs in the test guest under busybox awk, so it is plain POSIX awk: the
# document is read whole, comments and CDATA are cut out, and each tag's
# attributes are tokenized one by one (either quote style, any namespace
# prefix), so a value holding '>', '=', a quote of the other kind or the text
# of another attribute is carried as it is. Entities are decoded (the five
# named ones and ASCII character references); whitespace inside a value is
# already a plain space after XML attribute-value normalization.
function decode(s,    out, i, j, ent, n) {
  out = ""
  while ((i = index(s, "&")) > 0) {
    out = out substr(s, 1, i - 1)
    s = substr(s, i)
    j = index(s, ";")
    if (j == 0) { out = out s; s = ""; break }
    ent = substr(s, 2, j - 2)
    if (ent == "lt") out = out "<"
    else if (ent == "gt") out = out ">"
    else if (ent == "amp") out = out "&"
    else if (ent == "quot") out = out "\""
    else if (ent == "apos") out = out "'"
    else if (ent ~ /^#[0-9]+$/ && (n = substr(ent, 2) + 0) >= 32 && n < 127) out = out sprintf("%c", n)
    else if (ent ~ /^#x[0-9A-Fa-f]+$/ && (n = hex(substr(ent, 3))) >= 32 && n < 127) out = out sprintf("%c", n)
    else out = out substr(s, 1, j)
    s = substr(s, j + 1)
  }
  return out s
}
function hex(h,    i, n) {
  n = 0
  h = tolower(h)
  for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
  return n
}
# cut(s, opener, closer): s without every opener...closer span.
function cut(s, opener, closer,    i, j, out) {
  out = ""
  while ((i = index(s, opener)) > 0) {
    out = out substr(s, 1, i - 1)
    s = substr(s, i + length(opener))
    j = index(s, closer)
    if (j == 0) return out
    s = substr(s, j + length(closer))
  }
  return out s
}
# tag(t): t is the text after '<' up to the end of the document; handles one
# element start tag, and returns how much of t it used.
function tag(t,    name, used, an, q, v, key, value, val, havekey, haveval) {
  if (!match(t, /^[A-Za-z_][-A-Za-z0-9_.:]*/)) return 1
  name = substr(t, 1, RLENGTH)
  used = RLENGTH
  t = substr(t, RLENGTH + 1)
  havekey = haveval = 0
  for (;;) {
    if (match(t, /^[ ]+/)) { used += RLENGTH; t = substr(t, RLENGTH + 1) }
    if (!match(t, /^[^ =\/>]+[ ]*=[ ]*/)) break
    an = substr(t, 1, RLENGTH)
    sub(/[ ]*=[ ]*$/, "", an)
    sub(/^.*:/, "", an)
    used += RLENGTH
    t = substr(t, RLENGTH + 1)
    q = substr(t, 1, 1)
    if (q != "\"" && q != "'") break
    t = substr(t, 2)
    v = index(t, q)
    if (v == 0) return used
    val = substr(t, 1, v - 1)
    used += v + 1
    t = substr(t, v + 1)
    if (an == "key") { key = val; havekey = 1 }
    else if (an == "value") { value = val; haveval = 1 }
  }
  sub(/^.*:/, "", name)
  if (name == "Property" && havekey)
    print "OVF-PROP " decode(key) "=" (haveval ? decode(value) : "")
  return used
}
{ doc = doc $0 " " }
END {
  gsub(/[\t\r]/, " ", doc)
  doc = cut(doc, "<!--", "-->")
  doc = cut(doc, "<![CDATA[", "]]>")
  while ((i = index(doc, "<")) > 0) {
    doc = substr(doc, i + 1)
    doc = substr(doc, tag(doc) + 1)
  }
}
