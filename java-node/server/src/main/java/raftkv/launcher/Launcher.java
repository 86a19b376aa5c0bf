package raftkv.launcher;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The Main-Class of raftkv-node.jar. It is compiled for Java 8 ({@code --release 8}), so that any
 * JVM from 8 on can load it and say plainly what is wrong, instead of failing with an
 * {@code UnsupportedClassVersionError} on the node's own classes (compiled for Java 21). On Java 21
 * or newer it hands over to {@code raftkv.server.RaftkvNode}, with the same arguments.
 *
 * <p>Only the Java 8 API here: {@code Runtime.version()} came with Java 9.
 */
public final class Launcher {

    /** What the node's classes are compiled for (maven.compiler.release). */
    static final int REQUIRED_FEATURE = 21;
    /** Exit status when the JVM is too old: like a bad option, the command line must change. */
    static final int EXIT_JAVA_TOO_OLD = 2;
    private static final String NODE_MAIN = "raftkv.server.RaftkvNode";

    private Launcher() {}

    public static void main(String[] args) throws Throwable {
        String specification = System.getProperty("java.specification.version", "0");
        int feature = feature(specification);
        if (feature < REQUIRED_FEATURE) {
            System.err.println(tooOld(feature, System.getProperty("java.version", "?"),
                    System.getProperty("java.home", "?")));
            System.exit(EXIT_JAVA_TOO_OLD);
            return;
        }
        Method main = Class.forName(NODE_MAIN).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause(); // the node's own failure, unwrapped
        }
    }

    /** "1.8" -> 8, "17" -> 17, "21" -> 21; 0 if unreadable. */
    static int feature(String specification) {
        String s = specification.startsWith("1.") ? specification.substring(2) : specification;
        int dot = s.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? s : s.substring(0, dot));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String tooOld(int feature, String version, String javaHome) {
        return "raftkv-node needs Java " + REQUIRED_FEATURE + " or newer, but this is Java " + version
                + " (" + javaHome + ").\n"
                + "Run it with a JDK " + REQUIRED_FEATURE + "+, e.g. /usr/lib/jvm/<jdk-21-or-newer>/bin/java -jar"
                + " raftkv-node.jar ...; in a clone of raftkv, scripts/find-jdk.sh prints one it finds"
                + " (Debian: apt-get install openjdk-21-jre-headless).";
    }
}
