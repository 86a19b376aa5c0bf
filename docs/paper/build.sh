#!/usr/bin/env bash
# make paper / make talk: builds docs/paper/build/raftkv-paper.pdf and docs/talk/build/raftkv-talk.pdf
# from the Markdown sources, with Debian packages only (pandoc + xelatex, rsvg-convert for the SVG
# figures). See docs/paper/README.md for what each generated part comes from.
#
#   docs/paper/build.sh paper    the German paper (PDF), then its pages, body characters, overfull boxes
#   docs/paper/build.sh talk     the slides (beamer PDF), then their count and overfull boxes
#   docs/paper/build.sh count    only the character count of the paper's body
#   docs/paper/build.sh check    only checks that every code excerpt still matches the code and that
#                                every number the text quotes from a measured table agrees with it
#                                within 20 % (paper-filter.lua; fast, no LaTeX)
#
# Environment: BENCH_COMPARE [run/bench-compare/results.md] the output of `make bench-compare`;
# GC_MD [docs/paper/build/gc-pauses.md] the GC pause table of `make gc-pauses` (Markdown);
# JEPSEN_SVG [docs/paper/figures/jepsen-ack-before-commit-key0-linear.svg] a Knossos linear.svg;
# STRICT=1 fails instead of printing a placeholder when a measurement is missing, and when Table 2
# was measured at a load average above half the cores;
# NO_INSTALL=1 fails with the apt-get line instead of installing missing packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WHAT=${1:-paper}
PAPER=docs/paper
BUILD=$PAPER/build
GEN=$BUILD/gen
BENCH_MD=$BUILD/bench.md
BENCH_COMPARE=${BENCH_COMPARE:-run/bench-compare/results.md}
JEPSEN_SVG=${JEPSEN_SVG:-$PAPER/figures/jepsen-ack-before-commit-key0-linear.svg}
GC_MD=${GC_MD:-$BUILD/gc-pauses.md}
# Everything the PDFs need on a clean Debian machine. texlive-fonts-recommended holds pzdr.tfm,
# which hyperref's XeTeX driver loads for links (without it: "Font \XeTeXLink@font=pzdr ... not
# loadable"); fonts-lmodern and fonts-dejavu-core hold the fonts metadata.yaml and the talk name.
PKGS="pandoc texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-lang-german lmodern fonts-lmodern fonts-dejavu-core librsvg2-bin poppler-utils"
TEX_FILES="fvextra.sty needspace.sty ngerman.ldf beamer.cls pzdr.tfm tcolorbox.sty caption.sty float.sty etoolbox.sty titling.sty lmroman10-regular.otf"
FONTS="Latin Modern Roman|Latin Modern Sans|DejaVu Sans|DejaVu Sans Mono"
say() { echo "paper: $*" >&2; }
die() { say "$*"; exit 1; }
warn() { printf '\npaper: WARNING: %s\n\n' "$*" >&2; }

# ---- tools ---------------------------------------------------------------------------------------
what_is_missing() {
  local m="" c f
  for c in pandoc xelatex kpsewhich fc-list rsvg-convert pdfinfo pdftoppm perl; do command -v "$c" >/dev/null || m="$m $c"; done
  for f in $TEX_FILES; do command -v kpsewhich >/dev/null && kpsewhich "$f" >/dev/null || m="$m $f"; done
  local fams; fams=$(fc-list : family 2>/dev/null | tr ',' '\n' || true)
  local IFS='|'; for f in $FONTS; do printf '%s\n' "$fams" | grep -qx "$f" || m="$m font:'$f'"; done
  if command -v pandoc >/dev/null; then
    pandoc --version | head -1 | awk '{ split($2, v, "."); exit !(v[1] > 2 || (v[1] == 2 && v[2] >= 11)) }' || m="$m pandoc>=2.11"
  fi
  echo "$m"
}
missing=$(what_is_missing)
if [ -n "$missing" ]; then
  line="apt-get install -y --no-install-recommends $PKGS"
  [ "${NO_INSTALL:-}" != 1 ] || die "missing:$missing. Install with: $line"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  say "missing:$missing; installing: $line"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS >&2 \
    || { $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS >&2; } \
    || die "could not install; run as root: $line"
  missing=$(what_is_missing)
  [ -z "$missing" ] || die "still missing after the install:$missing"
fi

mkdir -p "$GEN"
MISSING=""
export PAPER_GEN="$ROOT/$GEN"

# ---- generated parts: measured tables (or a loud placeholder), the Jepsen figure -----------------
# Each placeholder sits in a labelled Div of the Markdown (::: {#tbl:bench}), so it takes the table
# number the table would have had: no later number changes when a measurement is missing.
placeholder() { # $1 = what is missing (the caption of the placeholder), $2 = the command that makes it
  printf '::: {.missing what="%s"}\n**Messung fehlt:** beim Bauen gab es keine Messdaten. Erzeugen mit `%s`, dann `make paper` erneut.\n:::\n' "$1" "$2"
}

# German number formatting of a generated Markdown table: in table rows, a decimal point becomes a
# comma (only where it cannot be a German thousands separator: 1, 2 or 4+ digits after it) and
# integers of 4 digits or more get thousands separators; in the caption only the load averages
# after "vorher"/"nachher"/"Average" ("3.82" -> "3,82"). Versions ("21.0.8", "JMH 1.37") stay.
german() {
  perl -CSD -pe '
    if (/^\|/) {
      s/(?<![\w.,])(\d+)\.(\d{1,2}|\d{4,})(?![\d.,]*\d)/$1,$2/g;
      s/(?<![\w.,])(\d{4,})(?![\d.,]*\d)/ my $n = $1; 1 while $n =~ s{^(\d+)(\d{3})}{$1.$2}; $n /ge;
    } elsif (/^: /) {
      s{(?:vorher|nachher|Average|average)\s+[\d. ]+}{ $& =~ s/(\d+)\.(\d{2})/$1,$2/gr }ge;
    }'
}

# A measurement from a busy machine is marked "NOT PUBLISHABLE" by the script that made it (its
# first line and its caption; it then writes bench-NOT-PUBLISHABLE.md / gc-pauses-NOT-PUBLISHABLE.md).
# Such a file never reaches the PDF, whatever its name: the build stops.
refuse_unpublishable() { # $1 = a measured Markdown fragment
  ! grep -q 'NOT PUBLISHABLE' "$1" \
    || die "$1 is marked NOT PUBLISHABLE (measured on a busy machine): rerun its command on a quiet machine, or remove the file to build with a placeholder"
}

# The separator line of a generated pipe table sets pandoc's relative column widths. Every column
# but the first gets the width of its longest cell or longest header word (a word cannot break in a
# narrow column: an overfull box), the first column half its longest cell (two lines) or its
# longest word. The widths are relative: pandoc stretches them to the text width.
fit_columns() {
  perl -CSD -Mutf8 -e '
    my @l = <STDIN>; my @w; my $sep;
    for my $i (0..$#l) { next unless $l[$i] =~ /^\|/;
      my @c = map { s/^\s+|\s+$//gr } split /\|/, substr($l[$i], 1, -2);
      if ($c[0] =~ /^:?-+:?$/) { $sep = $i; next }
      for my $k (0..$#c) { my $n = $k == 0 ? int((length($c[$k]) + 1) / 2) : defined $sep ? length $c[$k] : 0;
        for (split /\s+/, $c[$k]) { $n = length if length > $n }
        $w[$k] = $n + 2 if !defined $w[$k] || $n + 2 > $w[$k] } }
    if (defined $sep) { my @a = map { /:$/ ? ":" : "" } map { s/^\s+|\s+$//gr } split /\|/, substr($l[$sep], 1, -2);
      $l[$sep] = "| " . join(" | ", map { "-" x ($w[$_] - length $a[$_]) . $a[$_] } 0..$#w) . " |\n" }
    print @l'
}

if [ -s "$BENCH_MD" ]; then
  refuse_unpublishable "$BENCH_MD"
  german < "$BENCH_MD" > "$GEN/bench.md"
  cp "$PAPER/variable/deutung-bench.md" "$GEN/deutung-bench.md"
  say "Java-vs-Go table from $BENCH_MD"
else
  [ "${STRICT:-}" != 1 ] || die "no $BENCH_MD: run 'make paper-bench' first"
  warn "no $BENCH_MD: the paper shows a placeholder instead of the Java-vs-Go table (run 'make paper-bench')"
  placeholder "Java gegen Go (Benchmark-Paar)" "make paper-bench" > "$GEN/bench.md"
  : > "$GEN/deutung-bench.md"   # no reading of numbers that are not there
  MISSING="$MISSING 'make paper-bench'"
fi

# The GC pauses of raftkv and etcd under make bench-compare's load: the table of `make gc-pauses`
# (scripts/gc-pauses.sh, already German apart from thousands separators); the Div around it in
# section 4 labels it tbl:gc.
if [ -s "$GC_MD" ]; then
  refuse_unpublishable "$GC_MD"
  german < "$GC_MD" | fit_columns > "$GEN/gc.md"
  cp "$PAPER/variable/deutung-gc.md" "$GEN/deutung-gc.md"
  say "GC pause table from $GC_MD"
else
  [ "${STRICT:-}" != 1 ] || die "no $GC_MD: run 'make gc-pauses' first (or set GC_MD=path)"
  warn "no $GC_MD: the paper shows a placeholder instead of the GC pause table (run 'make gc-pauses')"
  placeholder "GC-Pausen von raftkv und etcd unter der Last von make bench-compare" "make gc-pauses" > "$GEN/gc.md"
  : > "$GEN/deutung-gc.md"
  MISSING="$MISSING 'make gc-pauses'"
fi

if [ -s "$BENCH_COMPARE" ]; then
  # Pick the columns that fit a page, by header name, from scripts/bench-compare.sh's table. The
  # caption is short and German; the script's header (machine, load, versions, settings) and its
  # notes go to the appendix (gen/compare-env.md). Nothing is typed in: every cell is copied.
  perl -CSD -e '
    use utf8; my ($file, $envfile) = @ARGV; open(my $fh, "<:encoding(UTF-8)", $file) or die;
    my (@bul, @hdr, @rows, @after, $intable, $title);
    while (<$fh>) { chomp;
      if (/^# (.*)/) { $title = $1; next }
      if (/^\|/) { my @c = map { s/^\s+|\s+$//gr } split /\|/, substr($_, 1); $intable = 1;
                   if (!@hdr) { @hdr = @c } elsif ($c[0] !~ /^-+$/) { push @rows, [@c] } next }
      if (/^- (.*)/) { if ($intable) { push @after, $1 } else { push @bul, $1 } }
      elsif ($intable && /\S/) { push @after, $_ }
    }
    my %want = ("load"=>"Last", "etcd ops/s"=>"etcd ops/s", "raftkv ops/s"=>"raftkv ops/s",
                "etcd p50"=>"etcd p50", "raftkv p50"=>"raftkv p50", "etcd p99"=>"etcd p99", "raftkv p99"=>"raftkv p99",
                "non-2xx etcd / raftkv"=>"Fehler (non-2xx)", "socket errors etcd / raftkv"=>"Socket-Fehler");
    my @keep; for my $i (0..$#hdr) { push @keep, $i if exists $want{$hdr[$i]} }
    die "no known columns in $file\n" if @keep < 5 || !@rows;
    my ($opsr) = grep { $hdr[$_] eq "raftkv ops/s" } 0..$#hdr;
    my @cols = map { $_ == $opsr ? ($_, $opsr + 1) : ($_) } @keep;
    my @names = map { $_ == $opsr + 1 ? "raftkv/etcd" : $want{$hdr[$_]} } @cols;
    my @err = grep { $names[$_] =~ /Fehler/ } 0..$#names;
    my $clean = !grep { my $r = $_; grep { ($r->[$cols[$_]] // "") ne "0 / 0" } @err } @rows;
    if ($clean) { my %drop = map { $_ => 1 } @err; @cols = @cols[grep { !$drop{$_} } 0..$#cols]; @names = @names[grep { !$drop{$_} } 0..$#names] }
    my %de = ("write"=>"Schreiben", "read"=>"Lesen", "leader"=>"Leader", "follower"=>"Follower");
    print "| ", join(" | ", @names), " |\n";
    print "| ", join(" | ", map { $_ == 0 ? "-" x 24 : "-" x 10 . ":" } 0..$#names), " |\n";
    for my $r (@rows) { print "| ", join(" | ", map { my $v = $r->[$cols[$_]] // ""; $_ == 0 ? ($v =~ s/\b(write|read|leader|follower)\b/$de{$1}/gr) : $v } 0..$#cols), " |\n" }
    my ($load) = join(" ", @bul) =~ /load average before the runs:\s*([\d.]+)/; my $cores = `nproc` + 0;
    my $busy = defined $load && $cores && $load > $cores / 2;
    print STDERR "paper: WARNING: Table 2 was measured at load $load on $cores cores (more than half the cores busy)\n" if $busy;
    die "STRICT: Table 2 measured on a busy machine\n" if $busy && $ENV{STRICT};
    my ($rounds) = join(" ", @bul) =~ /(\d+)\s+rounds?/i; my ($secs) = join(" ", @bul) =~ /(\d+) s per run/;
    print "\n: raftkv neben etcd auf derselben Maschine, je drei Knoten mit `fsync`, derselbe Lastgenerator (wrk); ",
          "Last: Verbindungen (c) und Ziel. Median über ", ($rounds // "die"), ($rounds && $rounds == 1 ? " Runde" : " Runden"), ($secs ? " zu je $secs s" : ""),
          "; raftkv/etcd ist das Verhältnis der Durchsätze.", ($clean ? " Keine Fehlerantworten, keine Socket-Fehler." : ""),
          ($busy ? " **Gemessen bei Load " . ($load =~ s/\./,/r) . " auf $cores CPU-Kernen, also auf einer belasteten Maschine: nur zur Ansicht, nicht zur Bewertung.**" : ""),
          " Maschine, Last und Versionen: Anhang \\ref{app:messung}.\n";
    open(my $env, ">:encoding(UTF-8)", $envfile) or die;
    print $env "Ausgabe von `make bench-compare`", ($title ? " ($title)" : ""), ", unverändert übernommen:\n\n";
    print $env map { "- $_\n" } @bul, @after;
  ' "$BENCH_COMPARE" "$GEN/compare-env.md" | german > "$GEN/compare.md" || die "cannot read the table in $BENCH_COMPARE"
  cp "$PAPER/variable/deutung-compare.md" "$GEN/deutung-compare.md"
  say "raftkv-vs-etcd table from $BENCH_COMPARE"
else
  [ "${STRICT:-}" != 1 ] || die "no $BENCH_COMPARE: run 'make bench-compare' first (or set BENCH_COMPARE=path)"
  warn "no $BENCH_COMPARE: the paper shows a placeholder instead of the raftkv-vs-etcd table (run 'make bench-compare', or BENCH_COMPARE=path)"
  placeholder "raftkv neben etcd" "make bench-compare" > "$GEN/compare.md"
  : > "$GEN/deutung-compare.md"
  echo "Keine Ausgabe von \`make bench-compare\` beim Bauen." > "$GEN/compare-env.md"
  MISSING="$MISSING 'make bench-compare'"
fi

# Knossos draws the bars of the failing window at 15 % opacity and shows them on mouse-over, and
# gives the SVG no size; for print, every bar is opaque and the page gets the drawing's size. Its
# "Time ─▶" label sits on the legend's line and runs into "Legal"; it moves one line below it
# (the drawing is translated by 24 units, so y=134 is drawn at 158 of 165).
[ -s "$JEPSEN_SVG" ] || die "no Jepsen figure at $JEPSEN_SVG (see docs/paper/README.md)"
perl -0pe 's/opacity="0.15"/opacity="1.0"/g;
           s/<svg /<svg width="600" height="165" viewBox="-10 0 600 165" /;
           s{(<text[^>]*?\s)y="[^"]*"([^>]*>Time)}{${1}y="134"$2}' "$JEPSEN_SVG" > "$GEN/jepsen-linear.svg"
cp "$PAPER"/figures/raft.svg "$PAPER"/figures/partition.svg "$GEN/"

# ---- preprocessing: %%excerpt FILE | FROM | TO [| OMIT] and %%include FILE ---------------------
# An excerpt is cut from the real file between the first line matching FROM and the next matching
# TO (Perl regexes; an empty TO: the FROM line alone), with lines matching OMIT left out. In the paper (NUMBERS=1) every run of kept
# lines is its own code block numbered with the file's line numbers, so a gap shows as a jump in the
# numbers; in the talk the gap is a "// …" line. The caption names the file; its path is listed in
# the appendix (gen/listings.md). If the code moved on and a pattern no longer matches, the build
# stops. The excerpt's length is checked against MAX_LISTING_LINES.
preprocess() {
  NUMBERS=${NUMBERS:-0} MAXL=${MAX_LISTING_LINES:-22} LISTED="$GEN/listed.txt" perl -CSD -Mutf8 -ne '
    BEGIN { open(LST, ">>:encoding(UTF-8)", $ENV{LISTED}) or die }
    sub fail { print STDERR "paper: $_[0]\n"; exit 1 }
    if (/^%%include\s+(\S+)\s*$/) { local $/; open(my $f, "<:encoding(UTF-8)", $1) or fail("cannot include $1"); print <$f>; print "\n"; next }
    if (/^%%excerpt\s+(.*)$/) {
      my ($file, $from, $to, $omit) = map { s/^\s+|\s+$//gr } split /\s\|\s/, "$1 ", -1;
      $to //= "";
      open(my $f, "<:encoding(UTF-8)", $file) or fail("excerpt: no file $file");
      my @l = <$f>; my ($a, $b);
      for my $i (0..$#l) { if (!defined $a && $l[$i] =~ /$from/) { $a = $i; if ($to eq "") { $b = $a; last } } elsif (defined $a && $l[$i] =~ /$to/) { $b = $i; last } }
      fail("excerpt: /$from/ not found in $file (did the code change?)") unless defined $a;
      fail("excerpt: /$to/ not found after /$from/ in $file (did the code change?)") unless defined $b;
      my $numbers = $ENV{NUMBERS};
      my @seg = ([]); my $gap = 0; my $kept = 0;   # runs of kept lines: [line number, text]
      for my $i ($a..$b) {
        my $omitted = defined $omit && length $omit && $l[$i] =~ /$omit/ && !($numbers && $l[$i] !~ /\S/);
        if ($omitted) { $gap = 1 if $l[$i] =~ /\S/ || $numbers; next }
        if ($gap && @{$seg[-1]}) {
          if ($numbers) { push @seg, [] } else { my ($ind) = $l[$i] =~ /^(\s*)/; push @{$seg[-1]}, [-1, "$ind// …\n"] }
        }
        $gap = 0; push @{$seg[-1]}, [$i + 1, $l[$i] =~ s/\t/    /gr]; $kept++;
      }
      fail("excerpt of $file from /$from/: $kept lines, more than $ENV{MAXL}") if $kept > $ENV{MAXL};
      my $min = 1e9; for my $s (@seg) { for (@$s) { next unless $_->[1] =~ /\S/; my ($sp) = $_->[1] =~ /^( *)/; $min = length $sp if length $sp < $min } }
      my $lang = $file =~ /\.go$/ ? "go" : "java";
      for my $s (@seg) {
        next unless @$s;
        my $attr = $numbers ? "{.$lang .numberLines startFrom=\"$s->[0][0]\"}" : $lang;
        print "```$attr\n", (map { substr($_->[1], 0, $min) =~ /^ *$/ ? substr($_->[1], $min) : $_->[1] } @$s), "```\n\n";
      }
      my ($base) = $file =~ m{([^/]+)$};
      print LST "$base\t$file\n";
      my @nums = map { $_->[0] } grep { $_->[0] > 0 } map { @$_ } @seg;
      my $range = $nums[0] == $nums[-1] ? "Zeile $nums[0]" : "Zeilen $nums[0]–$nums[-1]";
      print "::: {.listing}\nAus `$base`, $range.\n:::\n\n";
      next }
    print; print "\n" if eof' "$@"
}

: > "$GEN/listed.txt"
SECTIONS=$(ls "$PAPER"/[0-9][0-9]-*.md | grep -v -- '-anhang.md$')
BODY_SECTIONS=$(ls "$PAPER"/[0-9][0-9]-*.md | grep -v -e '-quellen.md$' -e '-anhang.md$')
NUMBERS=1 preprocess $SECTIONS > "$GEN/sections.md"
# the appendix lists the files the listings come from, with their paths in the repository
sort -u "$GEN/listed.txt" | awk -F'\t' 'BEGIN { print "| Datei | Pfad im Repository |"; print "| --- | --- |" } { printf "| `%s` | `%s` |\n", $1, $2 }' > "$GEN/listings.md"
{ cat "$GEN/sections.md"; NUMBERS=1 preprocess "$PAPER"/[0-9][0-9]-anhang.md; } > "$GEN/paper.md"

FILTER=(--lua-filter "$ROOT/$PAPER/paper-filter.lua")
count() {
  NUMBERS=1 preprocess $BODY_SECTIONS > "$GEN/body.md"
  pandoc "$GEN/body.md" --from markdown "${FILTER[@]}" --citeproc --bibliography="$PAPER/references.yaml" -M lang=de-DE \
    -M suppress-bibliography=true --lua-filter "$PAPER/count-filter.lua" -t plain --wrap=none -o "$GEN/body.txt"
  chars=$(tr -d '\n' < "$GEN/body.txt" | wc -m)
  echo "$chars"
}

# Overfull boxes of a LaTeX run, from the log pandoc keeps with --verbose (counted, and printed).
overfull() { # $1 = pandoc's stderr log
  # pandoc runs xelatex up to three times and logs each run: the same box counts once
  local n; n=$(grep -E '^Overfull \\[hv]box' "$1" | sort -u | wc -l)
  grep -E '^Overfull \\[hv]box' "$1" | sort -u | head -20 >&2 || true
  echo "$n"
}

months=(Januar Februar März April Mai Juni Juli August September Oktober November Dezember)
today="$(date -u '+%-d'). ${months[$(( $(date -u '+%-m') - 1 ))]} $(date -u '+%Y')"

case "$WHAT" in
  check)
    # every excerpt and include of the paper and the talk still resolves, and every number the text
    # quotes from a measured table agrees with it within 20 % (no LaTeX run)
    for t in bench compare; do grep -v '^: ' "$GEN/$t.md" > "$GEN/$t-talk.md"; done  # as for the talk
    preprocess docs/talk/talk.md > "$GEN/talk-check.md"
    for f in "$GEN/paper.md" "$GEN/talk-check.md"; do
      PAPER_FILTER_MODE=check pandoc "$f" --from markdown "${FILTER[@]}" --citeproc --bibliography="$PAPER/references.yaml" \
        -M lang=de-DE -t plain -o /dev/null || die "check failed on $f"
    done
    echo "paper: every excerpt and include of the paper and the talk resolves; every quoted number agrees with its table"
    ;;
  count)
    echo "body characters (sections 1-7 with footnotes, without code listings, tables, figures, sources and appendix): $(count)"
    ;;
  paper)
    say "pandoc + xelatex -> $BUILD/raftkv-paper.pdf"
    rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "unbekannt")
    dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo ", mit lokalen Änderungen" || true)
    course=$(sed -n 's/^course: "\(.*\)"$/\1/p' "$PAPER/metadata.yaml")
    # the date line under the title: the course, the day of the build and the commit it was built from
    echo "date: '${course}\`\\\\\`{=latex} ${today} · gebaut aus Commit \`${rev}\`${dirty}'" > "$GEN/date.yaml"
    (cd "$GEN" && pandoc paper.md --metadata-file="$ROOT/$PAPER/metadata.yaml" --metadata-file=date.yaml \
       --from markdown "${FILTER[@]}" --citeproc --csl="$ROOT/$PAPER/quellen.csl" --bibliography="$ROOT/$PAPER/references.yaml" \
       --pdf-engine=xelatex --resource-path=".:$ROOT/$PAPER" --verbose \
       --include-in-header="$ROOT/$PAPER/header.tex" -o "$ROOT/$BUILD/raftkv-paper.pdf" 2> "$ROOT/$BUILD/pandoc-paper.log") \
       || { tail -40 "$BUILD/pandoc-paper.log" >&2; die "pandoc failed (log: $BUILD/pandoc-paper.log)"; }
    pages=$(pdfinfo "$BUILD/raftkv-paper.pdf" | awk '/^Pages:/ {print $2}')
    chars=$(count)
    over=$(overfull "$BUILD/pandoc-paper.log")
    echo "paper: $BUILD/raftkv-paper.pdf: $pages pages; body $chars characters (sections 1-7 with footnotes, without code listings, tables, figures, sources and appendix); $over overfull boxes"
    [ -z "$MISSING" ] || echo "paper: NOTE: built WITHOUT measured data; red boxes stand in for the output of$MISSING"
    ;;
  talk)
    TB=docs/talk/build
    mkdir -p "$TB"
    cp "$GEN/jepsen-linear.svg" "$TB/"
    # On a slide the figures' small labels (10-12 units) would print at about 5 pt: the talk shows
    # each panel of Figure 1 on its own slide and draws every label under 13 units 25 % larger.
    bigger='s/font-size="(\d+(?:\.\d+)?)"/sprintf(q{font-size="%s"}, $1 < 13 ? $1 * 1.25 : $1)/ge'
    perl -pe "$bigger" "$GEN/partition.svg" > "$TB/partition.svg"
    # panel (a): the two labels that the larger font pushes onto arrows move aside
    # (the two labels between the arrows keep their size: there is no room for more)
    perl -pe 's/x="22" y="78"/x="2" y="62"/; s/x="22" y="91"/x="2" y="76"/' "$GEN/raft.svg" \
      | perl -pe "$bigger; s/width=\"800\" height=\"330\" viewBox=\"0 0 800 330\"/width=\"395\" height=\"310\" viewBox=\"0 0 395 310\"/" \
      | perl -pe 's/(<text x="162" y="1[34]\d" font-size=")[\d.]+"/${1}10.5"/' > "$TB/raft-a.svg"
    perl -pe "$bigger; s/width=\"800\" height=\"330\" viewBox=\"0 0 800 330\"/width=\"520\" height=\"315\" viewBox=\"405 0 520 315\"/" "$GEN/raft.svg" > "$TB/raft-b.svg"
    grep -q 'viewBox="405 0' "$TB/raft-b.svg" || die "figures/raft.svg changed its size: adjust the talk's panel split in build.sh"
    for t in bench compare; do grep -v '^: ' "$GEN/$t.md" > "$GEN/$t-talk.md"; done  # tables without captions
    # with the optional Java 25 column (JDK25=1 make paper-bench) the Java-vs-Go table is one size
    # smaller on its slide (a frame is a group: the change ends with it)
    if grep -q '^| Messung.*Java 25' "$GEN/bench-talk.md"; then
      { printf '```{=latex}\n\\renewcommand{\\scriptsize}{\\tiny}\n```\n\n'; cat "$GEN/bench-talk.md"; } > "$GEN/bench-talk.tmp"
      mv "$GEN/bench-talk.tmp" "$GEN/bench-talk.md"
    fi
    # ... but a table from a busy machine says so on its slide too
    ! grep -q 'belasteten Maschine' "$GEN/compare.md" \
      || printf '\n\\textcolor{red}{\\textbf{Gemessen auf einer belasteten Maschine (Anhang A): nur zur Ansicht.}}\n' >> "$GEN/compare-talk.md"
    MAX_LISTING_LINES=12 preprocess docs/talk/talk.md > "$TB/talk.md"
    say "pandoc (beamer) + xelatex -> $TB/raftkv-talk.pdf"
    echo "date: '$today'" > "$GEN/date-talk.yaml"
    (cd "$TB" && pandoc talk.md -t beamer --pdf-engine=xelatex --slide-level=2 "${FILTER[@]}" --metadata-file="$ROOT/$GEN/date-talk.yaml" \
       --resource-path=".:$ROOT/docs/talk" --verbose \
       --include-in-header="$ROOT/docs/talk/header.tex" -o raftkv-talk.pdf 2> pandoc-talk.log) \
       || { tail -40 "$TB/pandoc-talk.log" >&2; die "pandoc failed (log: $TB/pandoc-talk.log)"; }
    over=$(overfull "$TB/pandoc-talk.log")
    echo "talk: $TB/raftkv-talk.pdf: $(pdfinfo "$TB/raftkv-talk.pdf" | awk '/^Pages:/ {print $2}') slides; $over overfull boxes"
    ;;
  *) die "usage: $0 paper|talk|count|check" ;;
esac
