package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The exported history is EDN that reads back as one Knossos op map per line, in Jepsen's shape. */
class EdnTest {

    /** Just enough EDN for a Jepsen history: maps, vectors, keywords, integers, strings, nil. */
    static final class EdnReader {
        private final String text;
        private int at;

        EdnReader(String text) {
            this.text = text;
        }

        Object read() {
            skipSpace();
            char c = text.charAt(at);
            if (c == '{') {
                at++;
                Map<Object, Object> map = new LinkedHashMap<>();
                while (peek() != '}') {
                    Object key = read();
                    map.put(key, read());
                }
                at++;
                return map;
            }
            if (c == '[') {
                at++;
                List<Object> vector = new ArrayList<>();
                while (peek() != ']') {
                    vector.add(read());
                }
                at++;
                return vector;
            }
            if (c == '"') {
                StringBuilder s = new StringBuilder();
                at++;
                while (text.charAt(at) != '"') {
                    char ch = text.charAt(at++);
                    if (ch == '\\') {
                        char esc = text.charAt(at++);
                        s.append(switch (esc) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            case 'r' -> '\r';
                            default -> esc;
                        });
                    } else {
                        s.append(ch);
                    }
                }
                at++;
                return s.toString();
            }
            int start = at;
            while (at < text.length() && !Character.isWhitespace(text.charAt(at)) && ",}]".indexOf(text.charAt(at)) < 0) {
                at++;
            }
            String token = text.substring(start, at);
            if (token.equals("nil")) {
                return null;
            }
            if (token.startsWith(":")) {
                return token; // keywords stay as ":name"
            }
            return Long.parseLong(token);
        }

        private char peek() {
            skipSpace();
            return text.charAt(at);
        }

        private void skipSpace() {
            while (at < text.length() && (Character.isWhitespace(text.charAt(at)) || text.charAt(at) == ',')) {
                at++;
            }
        }

        boolean atEnd() {
            skipSpace();
            return at >= text.length();
        }
    }

    @Test
    void aSimulatedHistoryExportsAsKnossosOpMapsThatParseBack() throws IOException {
        Simulation.Outcome outcome = Simulation.run(Simulation.Settings.of(7).withMix(FaultMix.ELECTION_CRASHES));
        StringWriter out = new StringWriter();
        Edn.write(outcome.history().events(), out);

        EdnReader reader = new EdnReader(out.toString());
        List<Map<?, ?>> ops = new ArrayList<>();
        while (!reader.atEnd()) {
            ops.add((Map<?, ?>) reader.read());
        }
        assertThat(ops).hasSize(outcome.history().events().size()).hasSizeGreaterThan(50);

        Map<Long, Map<?, ?>> openByProcess = new HashMap<>();
        long lastTime = 0;
        for (int i = 0; i < ops.size(); i++) {
            Map<?, ?> op = ops.get(i);
            assertThat(List.<Object>copyOf(op.keySet()))
                    .containsExactly(":type", ":f", ":value", ":process", ":time", ":index");
            assertThat(op.get(":index")).isEqualTo((long) i);
            assertThat(op.get(":type")).isIn(":invoke", ":ok", ":fail", ":info");
            assertThat(op.get(":f")).isIn(":read", ":write", ":cas");
            long time = (Long) op.get(":time");
            assertThat(time).isGreaterThanOrEqualTo(lastTime);
            lastTime = time;

            List<?> tuple = (List<?>) op.get(":value"); // an independent key: [k v]
            assertThat(tuple).hasSize(2);
            assertThat(tuple.get(0)).isIn(1L, 2L, 3L);
            Object v = tuple.get(1);
            switch ((String) op.get(":f")) {
                case ":read" -> {
                    if (op.get(":type").equals(":ok")) {
                        assertThat(v).isIn(null, "Ada", "Grace", "Edsger", "Barbara", "Leslie");
                    } else {
                        assertThat(v).isNull();
                    }
                }
                case ":write" -> assertThat(v).isInstanceOf(String.class);
                case ":cas" -> assertThat((List<?>) v).hasSize(2).allMatch(String.class::isInstance);
                default -> throw new AssertionError(op);
            }

            long process = (Long) op.get(":process");
            if (op.get(":type").equals(":invoke")) {
                assertThat(openByProcess.put(process, op)).as("one op at a time per process").isNull();
            } else {
                Map<?, ?> invoke = openByProcess.remove(process);
                assertThat(invoke).as("completion of an invoked op").isNotNull();
                assertThat(op.get(":f")).isEqualTo(invoke.get(":f"));
            }
        }
    }

    @Test
    void stringsAreEscapedAndKeysThatAreNotNumbersAreQuoted() {
        History history = new History();
        history.add(History.Type.INVOKE, 0, Op.write("Id 9", "say \"hi\"\\"), 3);
        String line = Edn.line(history.events().getFirst(), 0);
        assertThat(line).isEqualTo(
                "{:type :invoke, :f :write, :value [\"Id 9\" \"say \\\"hi\\\"\\\\\"], :process 0, :time 3000000, :index 0}");
        Map<?, ?> parsed = (Map<?, ?>) new EdnReader(line).read();
        assertThat(List.<Object>copyOf((List<?>) parsed.get(":value"))).containsExactly("Id 9", "say \"hi\"\\");
        assertThat(Set.of(":invoke")).contains((String) parsed.get(":type"));
    }
}
