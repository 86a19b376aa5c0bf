package raftkv.sim;

import raftkv.core.Command;

/**
 * A client operation on one key of the map Id => name, as the history records it.
 *
 * @param value the name written (write), the new name (cas), or the name read (read; null = absent)
 * @param expected the name a cas expects; null for other operations
 */
record Op(F f, String key, String expected, String value) {

    enum F {
        READ("read"),
        WRITE("write"),
        CAS("cas");

        final String edn;

        F(String edn) {
            this.edn = edn;
        }
    }

    static Op read(String key) {
        return new Op(F.READ, key, null, null);
    }

    static Op write(String key, String value) {
        return new Op(F.WRITE, key, null, value);
    }

    static Op cas(String key, String expected, String value) {
        return new Op(F.CAS, key, expected, value);
    }

    /** The same operation with the value a read returned. */
    Op withValue(String readValue) {
        return new Op(f, key, expected, readValue);
    }

    /** The state-machine command for a write or cas. */
    Command command() {
        return switch (f) {
            case WRITE -> new Command.Put(key, value);
            case CAS -> new Command.Cas(key, expected, value);
            case READ -> throw new IllegalStateException("reads are not commands: they use ReadIndex");
        };
    }

    @Override
    public String toString() {
        return switch (f) {
            case READ -> "read " + key + (value == null ? "" : " = " + value);
            case WRITE -> "write " + key + " => " + value;
            case CAS -> "cas " + key + " " + expected + " -> " + value;
        };
    }
}
