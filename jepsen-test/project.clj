(defproject jepsen.raftkv "0.1.0-SNAPSHOT"
  :description "Jepsen test for raftkv, a Raft-replicated key-value store"
  :url "https://github.com/raftkv/raftkv"
  :license {:name "Eclipse Public License"
            :url  "http://www.eclipse.org/legal/epl-v10.html"}
  ; Jepsen (with Knossos) is resolved from the local ~/.m2. No Leiningen plugins: they would come
  ; from Clojars.
  :dependencies [[org.clojure/clojure "1.12.0"]
                 [jepsen "0.3.13"]
                 ; JSON for the raftkv API: the Jackson that Jepsen already brings, named explicitly.
                 [com.fasterxml.jackson.core/jackson-databind "2.16.1"]]
  :main jepsen.raftkv
  ; One target directory per Java version: classes compiled at load time (dom-top, gnuplot) by the
  ; host's newer JDK would not load in the control container's Java 21.
  :target-path ~(str "target/java-" (System/getProperty "java.specification.version"))
  :jvm-opts ["-Djava.awt.headless=true"
             "-Xmx4g"
             "-server"
             ; Knossos and Jepsen's checkers throw deep exceptions; keep their stack traces.
             "-XX:-OmitStackTraceInFastThrow"]
  :repl-options {:init-ns jepsen.raftkv})
