(ns jepsen.raftkv.set
  "The set workload: adds of unique elements to one grow-only set, with linearizable reads of the
  whole set, checked by jepsen.checker/set-full. It catches lost acknowledged writes over long
  runs, where Knossos (exponential in concurrency) is too slow.

  Element e is its own key e<e> holding the name \"e\":

    {:f :add,  :value 17}      PUT /kv/e17 {\"name\": \"17\"}  (with a session, like every write)
    {:f :read, :value nil}     GET /kv -> :value #{0 3 17 ...}  (ReadIndex, page by page)

  Why not a set under one key, grown by compare-and-set: a name holds at most 1024 characters
  (about 200 elements), and with ten clients adding at once most CAS attempts would lose the race
  and retry, so the run would measure contention instead of faults. One key per element makes
  every add independent; a lost add is a missing key in every later read.

  One client thread reads (every --set-read-interval seconds); the others add. After healing, each
  node serves a linearizable read of the set (through that node) and its own state machine
  (GET /debug/kv), which the convergence checker compares across nodes.

  GET /kv answers a page at a time (client/perform follows \"next\"), each page linearizable on its
  own. A scan is not one snapshot, but an element is never removed: one acknowledged before the scan
  began is in every page that covers its key, so set-full's checks hold for the union of the pages."
  (:require [jepsen [checker :as checker]
                    [client :as jclient]
                    [generator :as gen]
                    [history :as h]]
            [jepsen.raftkv [client :as client]
                           [http :as http]
                           [register :as register]]))

(defn elements
  "The set a whole-map read shows: the element of every key e<e> that holds e. Any other entry is
  kept as [key name], which set-full then reports as an unexpected element."
  [m]
  (into #{}
        (map (fn [[k v]] (if (= k (http/set-element-key v)) v [k v])))
        m))

(defn read-result
  "A completed :read-all op as the set workload's :read: its map becomes the set of elements."
  [op]
  (cond-> (assoc op :f :read)
    (= :ok (:type op)) (update :value elements)))

(defrecord SetClient [inner]
  jclient/Client
  (open! [this test node]
    (assoc this :inner (jclient/open! (client/client) test node)))

  (setup! [this test])

  (invoke! [this test op]
    (case (:f op)
      :add        (jclient/invoke! inner test op)
      :read       (read-result (jclient/invoke! inner test (assoc op :f :read-all)))
      :final-read (jclient/invoke! inner test op)))

  (teardown! [this test])

  (close! [this test]
    (jclient/close! inner test)))

(defn adds
  "Adds of 0, 1, 2, ...: each element once. (An element the generator skips is never invoked, so
  it is in no history.)"
  []
  (let [next-element (atom -1)]
    (fn [_test _ctx]
      {:type :invoke, :f :add, :value (swap! next-element inc)})))

(defn generator
  "One thread reads the whole set every --set-read-interval seconds (on average); the others add."
  [opts]
  (gen/reserve 1 (gen/stagger (:set-read-interval opts 1)
                              (repeat {:type :invoke, :f :read, :value nil}))
               (adds)))

(defn final-ops
  "After healing: through every current member, a linearizable read of the set (for set-full) and
  that node's own state machine (for convergence)."
  [nodes]
  (for [node nodes, f [:read :final-read]]
    {:type :invoke, :f f, :value nil, :node node}))

(defn final-generator
  [_opts]
  (register/->PerMember final-ops))

(defn written-values
  "For the convergence check: each element's key may hold only that element."
  [history]
  (->> history
       (filter #(and (h/invoke? %) (= :add (:f %))))
       (map (fn [op] [(http/set-element-key (:value op)) #{(:value op)}]))
       (into {})))

(defn set-op?
  "What set-full sees: adds and reads, not the final whole-map reads of each node's state."
  [op]
  (contains? #{:add :read} (:f op)))

(defn workload
  "The set workload: client, generator, final generator, checker."
  [opts]
  {:client          (map->SetClient {})
   :generator       (generator opts)
   :final-generator (final-generator opts)
   :checker         (checker/compose
                      {:set         (register/filter-checker
                                      set-op?
                                      ; Reads are linearizable (ReadIndex), so a read that misses
                                      ; an element acknowledged before it began is an error, not
                                      ; just a stale read.
                                      (checker/set-full {:linearizable? true}))
                       :convergence (register/convergence-checker written-values)})})
