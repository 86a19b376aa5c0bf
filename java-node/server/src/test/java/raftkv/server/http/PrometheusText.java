package raftkv.server.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it rejects what
 * Prometheus would reject (a malformed line, a sample of an undeclared family, a suffix that does
 * not fit the family's type, a declared family with no samples, a repeated series) and gives the
 * families with their type and samples.
 */
final class PrometheusText {

    record Sample(String name, Map<String, String> labels, double value) {}

    record Family(String name, String type, List<Sample> samples) {
        /** The value of the sample named {@code sampleName} whose labels include {@code labels}. */
        double value(String sampleName, Map<String, String> labels) {
            return samples.stream()
                    .filter(s -> s.name().equals(sampleName) && s.labels().entrySet().containsAll(labels.entrySet()))
                    .mapToDouble(Sample::value).sum();
        }
    }

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") .*");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"(,|$)");

    private static final Map<String, Set<String>> SUFFIXES = Map.of(
            "counter", Set.of(""),
            "gauge", Set.of(""),
            "untyped", Set.of(""),
            "histogram", Set.of("_bucket", "_sum", "_count"),
            "summary", Set.of("", "_sum", "_count"));

    private PrometheusText() {}

    static Map<String, Family> parse(String text) {
        Map<String, Family> families = new TreeMap<>();
        Map<String, Boolean> seenSeries = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty() || (line.startsWith("#") && !line.startsWith("# TYPE") && !line.startsWith("# HELP"))) {
                continue;
            }
            Matcher m;
            if ((m = TYPE.matcher(line)).matches()) {
                if (families.put(m.group(1), new Family(m.group(1), m.group(2), new ArrayList<>())) != null) {
                    throw error(lineNo, line, "second TYPE line for " + m.group(1));
                }
            } else if (HELP.matcher(line).matches()) {
                continue;
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                Sample sample = new Sample(m.group(1), labels(m.group(3), lineNo, line), value(m.group(4), lineNo, line));
                Family family = familyOf(sample.name(), families);
                if (family == null) {
                    throw error(lineNo, line, "sample of no declared family (a TYPE line must come first)");
                }
                if (family.type().equals("histogram") && sample.name().endsWith("_bucket")
                        && !sample.labels().containsKey("le")) {
                    throw error(lineNo, line, "histogram bucket without le");
                }
                if (seenSeries.put(sample.name() + sample.labels(), true) != null) {
                    throw error(lineNo, line, "repeated series");
                }
                family.samples().add(sample);
            } else {
                throw error(lineNo, line, "not a TYPE, HELP, comment or sample line");
            }
        }
        families.values().stream().filter(f -> f.samples().isEmpty()).findAny().ifPresent(f -> {
            throw new IllegalArgumentException("family " + f.name() + " has a TYPE but no samples");
        });
        return families;
    }

    private static Family familyOf(String sampleName, Map<String, Family> families) {
        for (String suffix : List.of("", "_bucket", "_sum", "_count")) {
            if (sampleName.endsWith(suffix)) {
                Family family = families.get(sampleName.substring(0, sampleName.length() - suffix.length()));
                if (family != null && SUFFIXES.get(family.type()).contains(suffix)) {
                    return family;
                }
            }
        }
        return null;
    }

    private static Map<String, String> labels(String spec, int lineNo, String line) {
        Map<String, String> labels = new TreeMap<>();
        if (spec == null || spec.isEmpty()) {
            return labels;
        }
        Matcher m = LABEL.matcher(spec);
        int at = 0;
        while (at < spec.length()) {
            if (!m.find(at) || m.start() != at) {
                throw error(lineNo, line, "bad label at '" + spec.substring(at) + "'");
            }
            labels.put(m.group(1), m.group(2).replace("\\\"", "\"").replace("\\n", "\n").replace("\\\\", "\\"));
            at = m.end();
        }
        return labels;
    }

    private static double value(String text, int lineNo, String line) {
        return switch (text) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw error(lineNo, line, "bad value '" + text + "'");
                }
            }
        };
    }

    private static IllegalArgumentException error(int lineNo, String line, String why) {
        return new IllegalArgumentException("line " + lineNo + ": " + why + ": " + line);
    }
}
