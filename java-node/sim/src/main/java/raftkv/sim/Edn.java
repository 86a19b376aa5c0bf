package raftkv.sim;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * Writes a history as Jepsen/Knossos EDN: one map per operation, keys as independent tuples
 * {@code [k v]} — read {@code [k nil]} on invoke and {@code [k v]} on :ok, write {@code [k v]}, cas
 * {@code [k [old new]]} — so it can be checked with {@code knossos.model/cas-register} per key.
 */
final class Edn {

    private Edn() {}

    static void write(List<History.Event> events, Writer out) throws IOException {
        for (int index = 0; index < events.size(); index++) {
            out.write(line(events.get(index), index));
            out.write('\n');
        }
    }

    /** {@code {:type :invoke, :f :cas, :value [1 ["Ada" "Grace"]], :process 3, :time 123000000, :index 17}} */
    static String line(History.Event event, int index) {
        return "{:type :" + event.type().name().toLowerCase()
                + ", :f :" + event.op().f().edn
                + ", :value [" + key(event.op().key()) + " " + value(event) + "]"
                + ", :process " + event.process()
                + ", :time " + event.timeMs() * 1_000_000
                + ", :index " + index + "}";
    }

    private static String value(History.Event event) {
        Op op = event.op();
        return switch (op.f()) {
            case READ -> event.type() == History.Type.OK ? string(op.value()) : "nil";
            case WRITE -> string(op.value());
            case CAS -> "[" + string(op.expected()) + " " + string(op.value()) + "]";
        };
    }

    /** Ids are numbers where they look like numbers, as Jepsen's independent keys usually are. */
    private static String key(String key) {
        return key.matches("-?[0-9]{1,18}") ? key : string(key);
    }

    static String string(String s) {
        if (s == null) {
            return "nil";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
