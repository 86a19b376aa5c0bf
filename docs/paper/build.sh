#!/usr/bin/env bash
# make paper / make talk: builds docs/paper/build/raftkv-paper.pdf and docs/talk/build/raftkv-talk.pdf
# from the Markdown sources, with Debian packages only (pandoc + xelatex, rsvg-convert for the SVG
# figures). See docs/paper/README.md for what each generated part comes from.
#
#   docs/paper/build.sh paper    the German paper (PDF), then its page and character count
#   docs/paper/build.sh talk     the slides (beamer PDF)
#   docs/paper/build.sh count    only the character count of the paper's body
#   docs/paper/build.sh check    only checks that every code excerpt still matches the code (fast)
#
# Environment: BENCH_COMPARE [run/bench-compare/results.md] the output of `make bench-compare`;
# JEPSEN_SVG [docs/paper/figures/jepsen-ack-before-commit-key0-linear.svg] a Knossos linear.svg;
# STRICT=1 fails instead of printing a placeholder when a measured table is missing;
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
PKGS="pandoc texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-lang-german lmodern fonts-lmodern fonts-dejavu-core librsvg2-bin poppler-utils"
say() { echo "paper: $*" >&2; }
die() { say "$*"; exit 1; }
warn() { printf '\npaper: WARNING: %s\n\n' "$*" >&2; }

# ---- tools ---------------------------------------------------------------------------------------
missing=""
for c in pandoc xelatex rsvg-convert pdfinfo perl; do command -v "$c" >/dev/null || missing="$missing $c"; done
for f in fvextra.sty ngerman.ldf beamer.cls; do command -v kpsewhich >/dev/null && kpsewhich "$f" >/dev/null || missing="$missing $f"; done
case "$(fc-list 2>/dev/null)" in *"DejaVu Sans Mono"*) ;; *) missing="$missing DejaVuSansMono" ;; esac
if [ -n "$missing" ]; then
  line="apt-get install -y --no-install-recommends $PKGS"
  [ "${NO_INSTALL:-}" != 1 ] || die "missing:$missing. Install with: $line"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  say "missing:$missing; installing: $line"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS >&2 \
    || { $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS >&2; } \
    || die "could not install; run as root: $line"
fi

mkdir -p "$GEN"
MISSING=""

# ---- generated parts: measured tables (or a loud placeholder), the Jepsen figure -----------------
placeholder() { # $1 = what is missing, $2 = the command that makes it
  printf '::: {.missing}\n**%s fehlt:** beim Bauen gab es keine Messdaten. Erzeugen mit `%s`, dann `make paper` erneut.\n:::\n' "$1" "$2"
}

if [ -s "$BENCH_MD" ]; then
  cp "$BENCH_MD" "$GEN/bench.md"
  cp "$PAPER/variable/deutung-bench.md" "$GEN/deutung-bench.md"
  say "Java-vs-Go table from $BENCH_MD"
else
  [ "${STRICT:-}" != 1 ] || die "no $BENCH_MD: run 'make paper-bench' first"
  warn "no $BENCH_MD: the paper shows a placeholder instead of the Java-vs-Go table (run 'make paper-bench')"
  placeholder "Tabelle Java gegen Go" "make paper-bench" > "$GEN/bench.md"
  : > "$GEN/deutung-bench.md"   # no reading of numbers that are not there
  MISSING="$MISSING 'make paper-bench'"
fi

if [ -s "$BENCH_COMPARE" ]; then
  # Pick the columns that fit a page, by header name, from scripts/bench-compare.sh's table; its
  # header bullets become the caption. Nothing is typed in: every cell is copied from the file.
  perl -CSD -e '
    use utf8; my ($file) = @ARGV; open(my $fh, "<:encoding(UTF-8)", $file) or die;
    my (@bul, @hdr, @rows, @after, $intable, $title);
    while (<$fh>) { chomp;
      if (/^# (.*)/) { $title = $1; next }
      if (/^\|/) { my @c = map { s/^\s+|\s+$//gr } split /\|/, substr($_, 1); $intable = 1;
                   if (!@hdr) { @hdr = @c } elsif ($c[0] !~ /^-+$/) { push @rows, [@c] } next }
      if (/^- (.*)/) { if ($intable) { push @after, $1 } else { push @bul, $1 } }
    }
    my %want = ("load"=>"Last", "etcd ops/s"=>"etcd ops/s", "raftkv ops/s"=>"raftkv ops/s",
                "etcd p50"=>"etcd p50", "raftkv p50"=>"raftkv p50", "etcd p99"=>"etcd p99", "raftkv p99"=>"raftkv p99",
                "non-2xx etcd / raftkv"=>"Fehler (non-2xx)", "socket errors etcd / raftkv"=>"Socket-Fehler");
    my @keep; for my $i (0..$#hdr) { push @keep, $i if exists $want{$hdr[$i]} }
    die "no known columns in $file\n" if @keep < 5 || !@rows;
    # the ratio right after raftkv ops/s
    my ($opsr) = grep { $hdr[$_] eq "raftkv ops/s" } 0..$#hdr;
    my @cols = map { $_ == $opsr ? ($_, $opsr + 1) : ($_) } @keep;
    my @names = map { $_ == $opsr + 1 ? "raftkv/etcd" : $want{$hdr[$_]} } @cols;
    # the error columns only when some run had errors; otherwise the caption says there were none
    my @err = grep { $names[$_] =~ /Fehler/ } 0..$#names;
    my $clean = !grep { my $r = $_; grep { ($r->[$cols[$_]] // "") ne "0 / 0" } @err } @rows;
    if ($clean) { my %drop = map { $_ => 1 } @err; @cols = @cols[grep { !$drop{$_} } 0..$#cols]; @names = @names[grep { !$drop{$_} } 0..$#names] }
    print "| ", join(" | ", @names), " |\n";
    print "| ", join(" | ", map { $_ == 0 ? "-" x 24 : "-" x 10 . ":" } 0..$#names), " |\n";
    for my $r (@rows) { print "| ", join(" | ", map { $r->[$_] // "" } @cols), " |\n" }
    print "\n: raftkv neben etcd, Ausgabe von `make bench-compare` ($title). ";
    print join(" ", map { s/\.?$/./r } @bul), " Median über die Runden; die Spalte raftkv/etcd ist das Verhältnis der ops/s. ";
    print join(" ", map { s/\.?$/./r } @after);
    print " In keinem Lauf gab es Fehlerantworten oder Socket-Fehler." if $clean; print "\n";
  ' "$BENCH_COMPARE" > "$GEN/compare.md" || die "cannot read the table in $BENCH_COMPARE"
  cp "$PAPER/variable/deutung-compare.md" "$GEN/deutung-compare.md"
  say "raftkv-vs-etcd table from $BENCH_COMPARE"
else
  [ "${STRICT:-}" != 1 ] || die "no $BENCH_COMPARE: run 'make bench-compare' first (or set BENCH_COMPARE=path)"
  warn "no $BENCH_COMPARE: the paper shows a placeholder instead of the raftkv-vs-etcd table (run 'make bench-compare', or BENCH_COMPARE=path)"
  placeholder "Tabelle raftkv gegen etcd" "make bench-compare" > "$GEN/compare.md"
  : > "$GEN/deutung-compare.md"
  MISSING="$MISSING 'make bench-compare'"
fi

# Knossos draws the bars of the failing window at 15 % opacity and shows them on mouse-over, and
# gives the SVG no size; for print, every bar is opaque and the page gets the drawing's size.
[ -s "$JEPSEN_SVG" ] || die "no Jepsen figure at $JEPSEN_SVG (see docs/paper/README.md)"
sed -e 's/opacity="0.15"/opacity="1.0"/g' \
    -e '0,/<svg /s//<svg width="600" height="140" viewBox="-10 0 600 140" /' "$JEPSEN_SVG" > "$GEN/jepsen-linear.svg"
cp "$PAPER"/figures/raft.svg "$PAPER"/figures/partition.svg "$GEN/"

# ---- preprocessing: %%excerpt FILE | FROM | TO [| OMIT] and %%include FILE ---------------------
# An excerpt is cut from the real file between the first line matching FROM and the next matching
# TO (Perl regexes), with lines matching OMIT left out and "// …" where they were, and the file
# named with its line numbers. If the code moved on and a pattern no longer matches, the build stops.
preprocess() {
  perl -CSD -Mutf8 -ne '
    sub fail { print STDERR "paper: $_[0]\n"; exit 1 }
    if (/^%%include\s+(\S+)\s*$/) { local $/; open(my $f, "<:encoding(UTF-8)", $1) or fail("cannot include $1"); print <$f>; print "\n"; next }
    if (/^%%excerpt\s+(.*)$/) {
      my ($file, $from, $to, $omit) = map { s/^\s+|\s+$//gr } split /\s\|\s/, $1;
      open(my $f, "<:encoding(UTF-8)", $file) or fail("excerpt: no file $file");
      my @l = <$f>; my ($a, $b);
      for my $i (0..$#l) { if (!defined $a && $l[$i] =~ /$from/) { $a = $i } elsif (defined $a && $l[$i] =~ /$to/) { $b = $i; last } }
      fail("excerpt: /$from/ not found in $file (did the code change?)") unless defined $a;
      fail("excerpt: /$to/ not found after /$from/ in $file (did the code change?)") unless defined $b;
      my @out; my $gap = 0;
      for my $i ($a..$b) { if (defined $omit && length $omit && $l[$i] =~ /$omit/) { $gap = 1 if $l[$i] =~ /\S/; next }
        if ($gap) { my ($ind) = $l[$i] =~ /^(\s*)/; push @out, "$ind// …\n"; $gap = 0 } push @out, $l[$i] }
      my $min = 1e9; for (@out) { next unless /\S/; my ($s) = /^( *)/; $min = length $s if length $s < $min }
      s/^ {$min}// for @out;
      my $lang = $file =~ /\.go$/ ? "go" : "java";
      print "```$lang\n", @out, "```\n\n::: {.listing}\nAus `$file`, Zeilen ", $a + 1, "–", $b + 1, ".\n:::\n\n";
      next }
    print; print "\n" if eof' "$@"
}

SECTIONS=$(ls "$PAPER"/[0-9][0-9]-*.md)
BODY_SECTIONS=$(ls "$PAPER"/[0-9][0-9]-*.md | grep -v -- '-quellen.md$')
preprocess $SECTIONS > "$GEN/paper.md"

count() {
  preprocess $BODY_SECTIONS > "$GEN/body.md"
  pandoc "$GEN/body.md" --from markdown --citeproc --bibliography="$PAPER/references.yaml" -M lang=de-DE \
    -M suppress-bibliography=true --lua-filter "$PAPER/count-filter.lua" -t plain --wrap=none -o "$GEN/body.txt"
  chars=$(tr -d '\n' < "$GEN/body.txt" | wc -m)
  echo "$chars"
}

case "$WHAT" in
  check)
    # every excerpt and include of the paper and the talk still resolves (no LaTeX run)
    for t in bench compare; do grep -v '^: ' "$GEN/$t.md" > "$GEN/$t-talk.md"; done  # as for the talk
    preprocess docs/talk/talk.md > /dev/null
    echo "paper: every excerpt and include of the paper and the talk resolves"
    ;;
  count)
    echo "body characters (sections 1-7, without code listings, tables, figures and sources): $(count)"
    ;;
  paper)
    say "pandoc + xelatex -> $BUILD/raftkv-paper.pdf"
    rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "unbekannt")
    dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo " mit lokalen Änderungen" || true)
    (cd "$GEN" && pandoc paper.md --metadata-file="$ROOT/$PAPER/metadata.yaml" \
       -M date="Gebaut am $(date -u '+%d.%m.%Y') aus Commit $rev$dirty; jede Zahl mit ihrem Befehl in docs/paper/README.md" \
       --from markdown --citeproc --bibliography="$ROOT/$PAPER/references.yaml" \
       --pdf-engine=xelatex --resource-path=".:$ROOT/$PAPER" \
       --include-in-header="$ROOT/$PAPER/header.tex" --lua-filter="$ROOT/$PAPER/missing-filter.lua" -o "$ROOT/$BUILD/raftkv-paper.pdf")
    pages=$(pdfinfo "$BUILD/raftkv-paper.pdf" | awk '/^Pages:/ {print $2}')
    chars=$(count)
    echo "paper: $BUILD/raftkv-paper.pdf: $pages pages; body $chars characters (sections 1-7, without code listings, tables, figures and sources)"
    [ -z "$MISSING" ] || echo "paper: NOTE: built WITHOUT measured data; red boxes stand in for the output of$MISSING"
    ;;
  talk)
    TB=docs/talk/build
    mkdir -p "$TB"
    cp "$GEN/jepsen-linear.svg" "$GEN/partition.svg" "$GEN/raft.svg" "$TB/"
    for t in bench compare; do grep -v '^: ' "$GEN/$t.md" > "$GEN/$t-talk.md"; done  # tables without captions
    preprocess docs/talk/talk.md > "$TB/talk.md"
    say "pandoc (beamer) + xelatex -> $TB/raftkv-talk.pdf"
    (cd "$TB" && pandoc talk.md -t beamer --pdf-engine=xelatex --slide-level=2 \
       --resource-path=".:$ROOT/docs/talk" \
       --include-in-header="$ROOT/docs/talk/header.tex" -o raftkv-talk.pdf)
    echo "talk: $TB/raftkv-talk.pdf: $(pdfinfo "$TB/raftkv-talk.pdf" | awk '/^Pages:/ {print $2}') slides"
    ;;
  *) die "usage: $0 paper|talk|count|check" ;;
esac
