(ns jepsen.raftkv.explain
  "`lein run explain [-t INDEX_OR_PATH]`: for every key of a stored register run that Knossos
  could not linearize, a narrative in plain words (explain.txt next to results.edn, and printed)
  and a picture of the key's history (explain-key-K.svg, jepsen.raftkv.svg), both linked from
  explain.html in the run's directory, which `make report` lists.

  The narrative: the operation that cannot be linearized and the node it entered through, the last
  point Knossos could still explain, the writes that completed before it and those concurrent with
  it, the faults in force at that moment, what that node's own log said then, and one sentence
  why it is impossible (jepsen.raftkv.why: from the history alone, claiming only what it proves)."
  (:require [clojure.java.io :as io]
            [clojure.string :as str]
            [jepsen.store :as store]
            [jepsen.raftkv [progress :as progress]
                           [svg :as svg]
                           [why :refer [secs fmt-s key-ops pairs written may-have-written? observed
                                        describe wrote why-impossible]]])
  (:import (java.time LocalDateTime LocalTime ZoneOffset)
           (java.time.format DateTimeFormatter)))

(defn cut-off?
  "Was node on the minority side of the partition that the nemesis op nem put in force?"
  [nem node]
  (let [[tag grudge] (when (= :start-partition (:f nem)) (:value nem))]
    (boolean (and (= :isolated tag) (map? grudge) (contains? grudge node)
                  (<= (* 2 (- (count grudge) (count (get grudge node)))) (count grudge))))))

(defn minority-hints
  "For ok ops (at most 3) that were sent while their node was cut off from the majority: a
  sentence each. Such a node can neither commit a write nor confirm a read (§5.3, §6.4)."
  [ops nemesis-ops node-of]
  (->> ops
       (filter #(= :ok (:type %)))
       (keep (fn [p]
               (let [nem  (last (filter #(<= (secs (:time %)) (:start p)) nemesis-ops))
                     node (node-of (:process p))]
                 (when (cut-off? nem node)
                   (str "process " (:process p) "'s " (describe p) " (ok at " (fmt-s (:end p)) ") was sent while "
                        node " was cut off from the majority (" (progress/nemesis-state nem)
                        "): a node without a majority can neither commit a write nor confirm a read, so that"
                        " ok should not have been given")))))
       distinct
       (take 3)))

(defn analyse-key
  "What explain says about key k: ps (pairs), the knossos result r ({:op .., :previous-ok ..} with
  history indices), the nemesis' completed ops (with :time), the node each process used."
  [k ps r nemesis-ops node-of]
  (let [by-index (fn [op] (when op (first (filter #(= (:index op) (:index %)) ps))))
        failing  (or (by-index (:op r))
                     (first (filter #(and (= :ok (:type %)) (= (:process (:op r)) (:process %))
                                          (= (secs (:time (:op r))) (:end %)))
                                    ps)))
        t0       (:start failing)
        t1       (:end failing)
        before   (filter #(and (may-have-written? %) (= :ok (:type %)) (< (:end %) t0)) ps)
        ; An :info or unanswered write may take effect at any time after it was sent.
        during   (filter #(and (may-have-written? %) (not= % failing) (< (:start %) t1)
                               (or (not= :ok (:type %)) (> (:end %) t0)))
                         ps)
        nem      (last (filter #(<= (secs (:time %)) t0) nemesis-ops))
        next-nem (first (filter #(> (secs (:time %)) t0) nemesis-ops))]
    {:key         k
     :failing     failing
     :previous-ok (by-index (:previous-ok r))
     :before      before
     :concurrent  during
     :nemesis     (cond
                    nem      (str (progress/nemesis-state nem) " (since " (fmt-s (secs (:time nem))) ")")
                    next-nem (str "no fault yet; the first (" (progress/nemesis-state next-nem) ") came at "
                                  (fmt-s (secs (:time next-nem))))
                    :else    "no fault at all in this run")
     :node        (node-of (:process failing))
     :hints       (when failing (minority-hints (cons failing (concat (take-last 6 before) during))
                                                nemesis-ops node-of))
     :sentence    (if failing
                    (why-impossible ps failing :absent (by-index (:previous-ok r)))
                    "Knossos named an operation that is not in this key's history")}))

(defn op-row
  [node-of p]
  (format "  process %-4s %-14s invoked %-9s %-9s %s, via %s"
          (:process p) (describe p) (fmt-s (:start p))
          (case (:type p) :ok "ok at" :fail "failed at" :info "unknown" :pending "never answered")
          (if (#{:ok :fail} (:type p)) (fmt-s (:end p)) "(may take effect at any later time)")
          (node-of (:process p))))

(defn role-note
  "If the impossible op is a read and the serving node's log says it was a follower then: a note on
  the two ways such a read can come out stale. log-lines as from node-log-lines."
  [failing node log-lines]
  (when (= :read (:f failing))
    (when-let [[_ term leader] (some->> log-lines (filter #(str/includes? % "EventLoop - term")) last
                                        (re-find #"term (\d+): follower \(leader (\w+)"))]
      (str node " was a follower in term " term " (leader " leader ") when it answered. Either it answered"
           " from its own state without first learning the leader's commit index (ReadIndex, §6.4), and so"
           " missed acknowledged writes, or a write it missed was acknowledged without being committed"
           " (§5.3): the nodes and faults of the writes above tell which"))))

(defn narrative
  "The narrative of an analysis as lines."
  [{:keys [key failing previous-ok before concurrent nemesis node sentence hints]} node-of log-lines svg-name]
  (let [shown (take-last 6 before)]
    (concat
      [(str "Key " key ": not linearizable") ""
       (str "  " sentence ".") ""]
      (mapcat (fn [h] [(str "  Note: " h ".") ""]) hints)
      ["The operation that cannot be linearized"
       (if failing (op-row node-of failing) "  (not found in the history)")
       ""
       "Last consistent point (the last operation Knossos could still place before it)"
       (if previous-ok (op-row node-of previous-ok) "  none: the key's first operation already fails")
       ""
       (str "Writes completed before it" (when (< (count shown) (count before))
                                           (str " (the last " (count shown) " of " (count before) ")")))]
      (if (seq shown) (map #(op-row node-of %) shown) ["  none: the key was still absent"])
      ["" "Writes concurrent with it (they may take effect anywhere in their interval)"]
      (if (seq concurrent) (map #(op-row node-of %) concurrent) ["  none"])
      ["" (str "Faults at that moment: " nemesis) ""
       (str node " served it (the node this process sends to); " node "/raftkv.log around then:")]
      (if (seq log-lines) (map #(str "  " %) log-lines) ["  (no log lines up to then)"])
      ["" (str "Picture: " svg-name) ""])))

;; ---------------------------------------------------------------------------------------------
;; Pure: the other checkers' complaints (convergence, set-full), in words

(defn nemesis-at
  "The faults in force at time t (seconds), in words."
  [nemesis-ops t]
  (if-let [n (last (filter #(<= (secs (:time %)) t) nemesis-ops))]
    (progress/nemesis-state n)
    "no fault yet"))

(defn convergence-lines
  "For nodes whose own maps differ after healing: per key (at most 5), who holds what, and the
  acknowledged writes of those values."
  [conv history nemesis-ops node-of]
  (when (seq (:divergent conv))
    (concat
      ["Convergence: after healing, the nodes' own state machines differ. Every node applies the same"
       "committed entries in the same order (State Machine Safety, §5.4.3), so a node that holds another"
       "value applied an entry the cluster never committed." ""]
      (for [[node k ref-v v] (take 8 (for [[node diffs] (:divergent conv), [k [ref-v v]] diffs] [node k ref-v v]))
            :let [ps   (pairs (key-ops history k))
                  val  (fn [x] (if (and (keyword? x) (= "absent" (name x))) "no value (the key is missing)" (pr-str x)))
                  acks (fn [x] (filter #(and (= :ok (:type %)) (= x (written %))) ps))
                  desc (fn [x] (cond
                                 (and (keyword? x) (= "absent" (name x))) ""
                                 (seq (acks x)) (let [w (last (acks x))]
                                                  (str " [last acknowledged: " (wrote w) " via " (node-of (:process w))
                                                       ", ok at " (fmt-s (:end w)) "; faults then: "
                                                       (nemesis-at nemesis-ops (:end w)) "]"))
                                 :else " [no acknowledged write of it]"))]]
        (str "  key " k ": " (:reference-node conv) " holds " (val ref-v) (desc ref-v) "; "
             node " holds " (val v) (desc v)))
      (let [n (reduce + (map count (vals (:divergent conv))))]
        (when (< 8 n) [(str "  ... " (- n 8) " more (results.edn, :convergence :divergent)")]))
      [""])))

(defn set-lines
  "For set-full's lost elements (at most 5): the acknowledged add and the faults then."
  [setr history nemesis-ops node-of]
  (when (seq (:lost setr))
    (let [adds (->> (pairs (filter #(= :add (:f %)) history)) (filter #(= :ok (:type %)))
                    (map (juxt :value identity)) (into {}))]
      (concat
        [(str "set-full: " (:lost-count setr) " acknowledged adds are missing from every later read"
              " (an acknowledged write must survive: it was committed, §5.3-5.4). The first of them:")]
        (for [e (take 5 (sort (:lost setr)))
              :let [a (get adds e)]]
          (if a
            (str "  element " e ": added by process " (:process a) " via " (node-of (:process a)) ", ok at "
                 (fmt-s (:end a)) " (faults then: " (nemesis-at nemesis-ops (:end a)) ")")
            (str "  element " e ": seen by a read, then missing")))
        [""]))))

;; ---------------------------------------------------------------------------------------------
;; The stored run: history, results, node logs

(defn relative-origin
  "The wall-clock time (UTC) at which the history's relative time 0 began, from jepsen.log."
  [^java.io.File dir]
  (let [f (io/file dir "jepsen.log")]
    (when (.exists f)
      (with-open [r (io/reader f)]
        (some (fn [l]
                (when (str/includes? l "Relative time begins now")
                  (LocalDateTime/parse (subs l 0 23) (DateTimeFormatter/ofPattern "yyyy-MM-dd HH:mm:ss,SSS"))))
              (line-seq r))))))

(defn node-log-lines
  "The lines of node's raftkv.log from a second before wall-clock time `at` (a LocalDateTime) to
  a tenth after: role changes, peers lost and found, warnings. At most 12."
  [^java.io.File dir node ^LocalDateTime at]
  (let [f (io/file dir node "raftkv.log")]
    (when (and at (.exists f))
      (let [from  (.toLocalTime (.minusSeconds at 1))
            to    (.toLocalTime (.plusNanos at 100000000))
            timed (with-open [r (io/reader f)]
                    (->> (line-seq r)
                         (filter #(re-matches #"\d\d:\d\d:\d\d\.\d{3} .*" %))
                         (map (fn [l] [(LocalTime/parse (subs l 0 12)) l]))
                         (remove (fn [[t _]] (.isAfter ^LocalTime t to)))
                         doall))
            ; The node's role then: its last role line before the window (the event loop logs
            ; "term T: role (leader L, commit C, log N)" on every change).
            role  (last (filter (fn [[t l]] (and (.isBefore ^LocalTime t from) (str/includes? l "EventLoop - term")))
                                timed))
            near  (filter (fn [[t _]] (not (.isBefore ^LocalTime t from))) timed)]
        (->> (concat (when role [role]) near)
             (map second)
             (map #(if (< 160 (count %)) (str (subs % 0 157) "...") %))
             (take-last 12))))))

(defn explain-run!
  "Writes explain.txt, explain.html and one SVG per failing key into the run's directory; returns
  the text. test is a stored test (jepsen.store/test)."
  [test]
  (let [dir      (store/path test)
        results  (:results test)
        history  (vec (:history test))
        failures (sort (get-in results [:workload :linear :failures]))
        nodes    (vec (:nodes test))
        conc     (:concurrency test)
        node-of  (fn [p] (if (and (integer? p) (integer? conc) (seq nodes))
                           (nth nodes (mod (mod p conc) (count nodes)))
                           "?"))
        nem-ops  (->> history (filter #(and (= :nemesis (:process %)) (= :info (:type %))))
                      (partition 2) (map second))
        origin   (relative-origin dir)
        header   [(str "explain: " (System/getenv "RAFTKV_STORE_PREFIX") (.getPath dir))
                  (str "verdict: " (pr-str (:valid? results))) ""]
        sections (for [k failures]
                   (let [ps   (pairs (key-ops history k))
                         a    (analyse-key k ps (get-in results [:workload :linear :results k :linear])
                                           nem-ops node-of)
                         at   (when (and origin (:failing a))
                                (.plusNanos ^LocalDateTime origin (long (* 1e9 (:start (:failing a))))))
                         name (str "explain-key-" k ".svg")]
                     (spit (io/file dir name) (svg/render a ps nem-ops node-of))
                     (let [logs (node-log-lines dir (:node a) at)
                           a    (update a :hints concat (keep identity [(role-note (:failing a) (:node a) logs)]))]
                       {:key k, :svg name
                        :lines (narrative a node-of logs name)})))
        others   (concat (convergence-lines (get-in results [:workload :convergence]) history nem-ops node-of)
                         (set-lines (get-in results [:workload :set]) history nem-ops node-of))
        text     (str/join "\n" (concat header
                                        (mapcat :lines sections)
                                        others
                                        (when (and (empty? sections) (empty? others))
                                          [(if (false? (:valid? results))
                                             "No key failed Knossos, no node diverged, no add was lost: see results.edn for the checker that is not valid."
                                             "Nothing to explain: the run is valid.")])))]
    (spit (io/file dir "explain.txt") (str text "\n"))
    (spit (io/file dir "explain.html")
          (str "<!DOCTYPE html><html><head><meta charset='utf-8'><title>explain</title></head>"
               "<body style='font-family:sans-serif'><h1>What went wrong, per key</h1>"
               (apply str (for [{:keys [key svg lines]} sections]
                            (str "<h2>Key " key "</h2><p><img src='" svg "'></p><pre>"
                                 (-> (str/join "\n" lines) (str/replace "&" "&amp;") (str/replace "<" "&lt;"))
                                 "</pre>")))
               (when (seq others)
                 (str "<h2>Other checkers</h2><pre>"
                      (-> (str/join "\n" others) (str/replace "&" "&amp;") (str/replace "<" "&lt;")) "</pre>"))
               (when (and (empty? sections) (empty? others)) (str "<pre>" text "</pre>"))
               "</body></html>"))
    text))

(def command
  {:opt-spec [["-t" "--test INDEX_OR_PATH" "Index (e.g. -1 for the most recent run) or a run's directory."
               :default  -1
               :parse-fn (fn [s] (if (re-find #"^-?\d+$" s) (Long/parseLong s) s))]]
   :opt-fn   identity
   :usage    "Usage: lein run explain [-t INDEX_OR_PATH]"
   :run      (fn [{:keys [options]}]
               (let [test (store/test (:test options))]
                 (println (explain-run! test))
                 (println "Written:" (str (System/getenv "RAFTKV_STORE_PREFIX") (.getPath (store/path test))
                                          "/explain.txt, explain.html and one SVG per key"))))})
