(ns jepsen.raftkv.progress
  "What the terminal shows while `lein run test` runs: one progress line every few seconds (the
  elapsed time, the phase, operations so far with ok/fail/info, and the nemesis' state), while
  Jepsen's own console log goes only to jepsen.log in the store (errors still reach the terminal).

  The counts come from thin wrappers around the workload's client and the nemesis (counting-client,
  watching-nemesis) and the phase from the DB, the generator's time limit and the checker
  (timed-checker). The line itself is a pure function of that state (line), unit-tested."
  (:require [clojure.string :as str]
            [jepsen [checker :as checker]
                    [client :as client]
                    [nemesis :as nemesis]
                    [store :as store]]
            [unilog.config :as unilog])
  (:import (ch.qos.logback.classic Logger LoggerContext)
           (ch.qos.logback.classic.encoder PatternLayoutEncoder)
           (ch.qos.logback.classic.filter ThresholdFilter)
           (ch.qos.logback.core ConsoleAppender)
           (org.slf4j LoggerFactory)))

(def initial
  {:phase :starting, :ready #{}, :invoked 0, :ok 0, :fail 0, :info 0, :final-reads 0, :nemesis nil})

(defonce state (atom initial))

(defn now-s
  "Seconds since t0-nanos."
  [t0-nanos]
  (/ (- (System/nanoTime) t0-nanos) 1e9))

(defn reset-state!
  [nodes time-limit faults]
  (reset! state (assoc initial :t0 (System/nanoTime), :nodes nodes, :time-limit time-limit, :faults faults)))

(defn note!
  "Records a phase event: [:node-up node], [:teardown node], [:analysis], [:saving]."
  [event & args]
  (swap! state
         (fn [s]
           (case event
             :node-up  (-> s (update :ready conj (first args))
                           (assoc :phase (if (= :starting (:phase s)) :setup (:phase s))))
             :setup    (assoc s :phase :setup)
             ; Jepsen also tears the DB down before setting it up: that is still setup.
             :teardown (if (#{:starting :setup} (:phase s)) s (assoc s :phase :teardown))
             :analysis (assoc s :phase :analysis, :analysis-t0 (System/nanoTime))
             :saving   (assoc s :phase :saving)
             s))))

(defn- count-completion
  [s op]
  (let [s (update s (:type op) (fnil inc 0))]
    (if (= :final-read (:f op)) (update s :final-reads inc) s)))

(defn- count-invoke
  [s op]
  (cond-> (update s :invoked inc)
    (#{:starting :setup} (:phase s)) (assoc :phase :workload, :workload-t0 (System/nanoTime))
    (= :final-read (:f op))          (assoc :phase :final-reads)))

(defrecord CountingClient [inner]
  client/Client
  (open! [this test node] (CountingClient. (client/open! inner test node)))
  (setup! [this test] (client/setup! inner test))
  (invoke! [this test op]
    (swap! state count-invoke op)
    (let [done (try (client/invoke! inner test op)
                    (catch Throwable t
                      (swap! state count-completion {:type :info, :f (:f op)})
                      (throw t)))]
      (swap! state count-completion done)
      done))
  (teardown! [this test] (client/teardown! inner test))
  (close! [this test] (client/close! inner test))

  client/Reusable
  (reusable? [this test] (client/is-reusable? inner test)))

(defn counting-client [inner] (CountingClient. inner))

(defn partition-text
  "An [:isolated {node #{nodes it cannot hear}}] grudge as sides, \"{n1 n3 n4} | {n2 n5}\" when
  the nodes fall into disjoint groups, else who is cut from whom."
  [grudge]
  (let [nodes  (sort (set (concat (keys grudge) (mapcat val grudge))))
        reach  (into (sorted-map) (for [n nodes] [n (apply sorted-set (remove (set (get grudge n)) nodes))]))
        groups (distinct (vals reach))]
    (if (and (every? (fn [g] (every? #(= g (reach %)) g)) groups))
      (str/join " | " (map #(str "{" (str/join " " %) "}") (sort-by count groups)))
      (str/join "; " (for [[n cut] (sort grudge) :when (seq cut)] (str n " cut from " (str/join "," (sort cut))))))))

(defn nemesis-state
  "A short description of what a completed nemesis op leaves in force."
  [{:keys [f value]}]
  (let [v (fn [x] (let [s (pr-str x)] (if (< 90 (count s)) (str (subs s 0 87) "...") s)))]
    (case f
      :start-partition (str "partition " (if (and (vector? value) (= :isolated (first value)) (map? (second value)))
                                           (partition-text (second value))
                                           (v value)))
      :stop-partition  "healed"
      :kill            (str "killed " (v value))
      :start           "healed (restarted)"
      :pause           (str "paused " (v value))
      :resume          "healed (resumed)"
      :member          (if (map? value)
                         (str "member " (name (:action value)) " " (:node value "") " -> "
                              (some-> (:outcome value) name) ", voters " (v (:voters value)))
                         (str "member " (v value)))
      (str (name f) " " (v value)))))

(defn watching-nemesis
  "The nemesis, recording each completed op in state."
  [inner]
  (reify
    nemesis/Nemesis
    (setup! [this test] (watching-nemesis (nemesis/setup! inner test)))
    (invoke! [this test op]
      (let [done (nemesis/invoke! inner test op)]
        (swap! state (fn [s]
                       (let [v (:value done)]
                         (cond-> (assoc s :nemesis {:f (:f done), :value v, :at (System/nanoTime)})
                           ; The member nemesis' final op: the final reads go to these members.
                           (and (= :member (:f done)) (map? v) (= :final (:action v)) (:voters v))
                           (assoc :final-nodes (count (distinct (concat (:voters v) (:learners v)))))))))
        done))
    (teardown! [this test] (nemesis/teardown! inner test))
    nemesis/Reflection
    (fs [this] (nemesis/fs inner))))

(defn timed-checker
  "The checker, marking the analysis phase."
  [inner]
  (reify checker/Checker
    (check [_ test history opts]
      (note! :analysis)
      (checker/check inner test history opts))))

(defn line
  "The progress line for a state s at `now` (nanos). Pure."
  [s now]
  (let [secs   (fn [t] (long (/ (- now t) 1e9)))
        el     (secs (:t0 s))
        counts (format "%d ops (ok %d, fail %d, info %d)" (:invoked s) (:ok s 0) (:fail s 0) (:info s 0))
        nem    (if-let [n (:nemesis s)]
                 (str (nemesis-state n) " for " (secs (:at n)) " s")
                 (if (and (contains? s :faults) (empty? (:faults s))) "none in this run" "no fault yet"))
        wl-el  (when (:workload-t0 s) (secs (:workload-t0 s)))
        phase  (case (:phase s)
                 :starting    "starting: SSH to the nodes, stopping any raftkv left running"
                 :setup       (format "setup: raftkv answers on %d of %d nodes (uploading the jar, starting the JVMs, waiting for GET /status)"
                                      (count (:ready s)) (count (:nodes s)))
                 :workload    (if (and wl-el (:time-limit s) (> wl-el (:time-limit s)))
                                (str "healing, then the quiet period; " counts " | nemesis: " nem)
                                (format "workload %d/%d s: %s | nemesis: %s" wl-el (long (or (:time-limit s) 0)) counts nem))
                 :final-reads (if (< (:final-reads s) (:final-nodes s (count (:nodes s))))
                                (format "final reads: %d of %d nodes answered; %s" (:final-reads s)
                                        (:final-nodes s (count (:nodes s))) counts)
                                (str "final reads done; Jepsen is stopping the clients and the nemesis; " counts))
                 :teardown    (str "teardown: stopping raftkv, collecting node logs; " counts)
                 :analysis    (format "analysis: checkers running for %d s (Knossos can take minutes); %s"
                                      (secs (:analysis-t0 s)) counts)
                 :saving      "saving results to the store"
                 (name (:phase s)))]
    (format "[jepsen %4d s] %s" el phase)))

(defonce ^:private reporter (atom nil))

(defn start-reporter!
  "Prints a progress line every interval-ms, on its own daemon thread."
  [interval-ms]
  (let [t (Thread. ^Runnable
                   (fn []
                     (try
                       (while true
                         (Thread/sleep (long interval-ms))
                         (println (line @state (System/nanoTime)))
                         (flush))
                       (catch InterruptedException _ nil)))
                   "raftkv progress")]
    (.setDaemon t true)
    (.start t)
    (reset! reporter t)))

(defn stop-reporter!
  []
  (when-let [^Thread t @reporter]
    (.interrupt t)
    (.join t 1000)
    (reset! reporter nil)))

(defn- console-errors-appender!
  "Adds a console appender to the root logger that lets only ERROR through."
  []
  (let [^LoggerContext ctx (LoggerFactory/getILoggerFactory)
        ^Logger root (.getLogger ctx Logger/ROOT_LOGGER_NAME)
        enc (doto (PatternLayoutEncoder.) (.setContext ctx) (.setPattern "%p\t[%t] %c: %m%n") (.start))
        flt (doto (ThresholdFilter.) (.setLevel "ERROR") (.start))
        app (doto (ConsoleAppender.) (.setContext ctx) (.setName "console-errors")
              (.setEncoder enc) (.addFilter flt) (.start))]
    (.addAppender root app)))

(defn start-logging!
  "In place of jepsen.store/start-logging!: Jepsen's full log goes only to jepsen.log in the
  store, the terminal gets errors only (and the progress lines)."
  [test]
  (unilog/start-logging!
    {:level     "info"
     :console   false
     :appenders [{:appender :file
                  :encoder  :pattern
                  :pattern  "%d{ISO8601}{GMT}\t%p\t[%t] %c: %m%n"
                  :file     (.getCanonicalPath (store/path! test "jepsen.log"))}]
     :overrides store/default-logging-overrides})
  (console-errors-appender!)
  (store/update-current-symlink! test)
  (println (str "[jepsen] the full Jepsen log goes to " (System/getenv "RAFTKV_STORE_PREFIX")
                (.getPath (store/path test "jepsen.log"))
                "; here: a progress line every 5 s, then the verdict"))
  (flush))
