(ns jepsen.raftkv.why
  "Why a register history is impossible, in one sentence, from the history alone: a key's
  operations paired invocation to completion, and the argument that no write could have left the
  value an operation saw (every write of it overwritten by a completed write before the operation
  was sent, none in flight; or undone by as many successful cas; or never written). Only what the
  history proves is claimed; otherwise the sentence says that Knossos tried every order. Pure,
  unit-tested in jepsen.raftkv.explain-test; jepsen.raftkv.explain builds the narrative on it.")

;; ---------------------------------------------------------------------------------------------
;; Pure: a key's history as operations with both ends

(defn secs [nanos] (when nanos (/ nanos 1e9)))

(defn fmt-s [t] (if t (format "%.3f s" (double t)) "never"))

(defn key-ops
  "The client ops of key k (f :read, :write, :cas), values unwrapped from their [k v] tuples."
  [history k]
  (->> history
       (filter (fn [op] (and (not= :nemesis (:process op))
                             (#{:read :write :cas} (:f op))
                             (vector? (:value op)) (= 2 (count (:value op)))
                             (= k (first (:value op))))))
       (map (fn [op] (assoc (into {} op) :value (second (:value op)))))))

(defn pairs
  "Invocations paired with their completions, in invocation order: {:process :f :value :type
  :start :end :invoke-index :index}; :value is the completion's for reads, else the invocation's.
  An invocation without a completion is :pending (like :info, it may take effect at any time)."
  [ops]
  (let [{:keys [done open]}
        (reduce (fn [{:keys [open] :as acc} op]
                  (if (= :invoke (:type op))
                    (assoc-in acc [:open (:process op)] op)
                    (if-let [inv (get open (:process op))]
                      (-> acc
                          (update :open dissoc (:process op))
                          (update :done conj {:process (:process op), :f (:f op), :type (:type op)
                                              :value (if (= :read (:f op)) (:value op) (:value inv))
                                              :start (secs (:time inv)), :end (secs (:time op))
                                              :invoke-index (:index inv), :index (:index op)}))
                      acc)))
                {:done [], :open {}}
                ops)]
    (->> (vals open)
         (map (fn [inv] {:process (:process inv), :f (:f inv), :type :pending, :value (:value inv)
                         :start (secs (:time inv)), :end nil, :invoke-index (:index inv)}))
         (concat done)
         (sort-by :start)
         vec)))

(defn written
  "The value an op (write or cas) would leave, else nil."
  [{:keys [f value]}]
  (case f :write value :cas (second value) nil))

(defn may-have-written?
  "Did this op perhaps (ok, info or pending) store a value?"
  [p]
  (and (#{:write :cas} (:f p)) (#{:ok :info :pending} (:type p))))

(defn observed
  "The value the op saw: a read's result, the expected value of a successful cas."
  [{:keys [f value type]}]
  (when (= :ok type)
    (case f :read value :cas (first value) nil)))

(defn describe
  "An op in words: \"read 1\", \"write 4\", \"cas 1->4\"."
  [{:keys [f value type]}]
  (let [v #(if (= :absent %) "nothing (absent)" (pr-str %))]
    (case f
      :read  (if (= :ok type) (str "read " (v value)) "read")
      :write (str "write " (pr-str value))
      :cas   (str "cas " (pr-str (first value)) "->" (pr-str (second value)))
      (str (name f) " " (pr-str value)))))

(defn wrote
  "\"process 2's write of 4\", \"process 2's cas 1->4\"."
  [p]
  (str "process " (:process p) "'s "
       (if (= :write (:f p)) (str "write of " (pr-str (:value p))) (describe p))))

(defn why-impossible
  "One sentence: why the ok op p cannot be linearized, from the history alone. initial is the
  register's value before any write (:absent); prev the last op Knossos could place, if known."
  [ps p initial prev]
  (let [v       (observed p)
        who     (str "process " (:process p))
        did     (case (:f p)
                  :read (str who " read " (if (= :absent v) "nothing (the key absent)" (pr-str v))
                             " in a request sent at " (fmt-s (:start p)))
                  :cas  (str who "'s cas from " (pr-str v) " succeeded in a request sent at " (fmt-s (:start p)))
                  (str who "'s " (describe p) " at " (fmt-s (:start p))))
        others  (remove #(= % p) ps)
        cands   (filter #(and (may-have-written? %) (= v (written %)) (< (:start %) (or (:end p) Double/MAX_VALUE)))
                        others)
        flight  (filter #(or (#{:info :pending} (:type %)) (> (:end %) (:start p))) cands)
        last-v  (reduce max (if (= v initial) 0.0 Double/NEGATIVE_INFINITY) (keep :end cands))
        over    (->> others
                     (filter #(and (= :ok (:type %)) (some? (written %)) (not= v (written %))
                                   (> (:start %) last-v) (< (:end %) (:start p))))
                     (sort-by :end)
                     last)
        ; Each successful cas from v to another value ends a stretch in which the key held v, and
        ; each write of v starts at most one: as many such cas as writes of v, all done before the
        ; op was sent, and no stretch of v is left for it.
        consume (filter #(and (= :cas (:f %)) (= :ok (:type %)) (= v (first (:value %)))
                              (not= v (second (:value %))) (< (:end %) (:start p)))
                        others)]
    (cond
      (nil? v)
      (str who "'s " (describe p) " at " (fmt-s (:start p)) " fits no order of the operations around it"
           " (Knossos tried them all)")

      (seq flight)
      (str did ", and a write of " (pr-str v) " was in flight then (process " (:process (first flight))
           ", sent at " (fmt-s (:start (first flight))) "), so no single overwrite explains it: Knossos"
           " tried every order of the operations above and none lets this one fit")

      (and (empty? cands) (not= v initial))
      (str did ", but no operation had tried to write " (pr-str v) " to this key by then")

      (and (nil? over) (seq cands) (not= v initial) (>= (count consume) (count cands)))
      (let [c (last (sort-by :end consume))]
        (str did ", but " (if (next cands)
                            (str "each of the " (count cands) " writes of " (pr-str v) " was undone by one of "
                                 (count consume) " successful cas from " (pr-str v) " (the last: ")
                            (str "the only write of " (pr-str v) " (" (wrote (first cands)) ", completed at "
                                 (fmt-s (:end (first cands))) ") was undone by "))
             (wrote c) ", completed at " (fmt-s (:end c)) (when (next cands) ")")
             ", and no write of " (pr-str v) " was in flight"))

      (nil? over)
      (str did "; on its own that could fit, but not together with what the operations around it saw"
           (when (and prev (not= prev p))
             (str " (the last one Knossos could place: process " (:process prev) "'s " (describe prev)
                  ", answered at " (fmt-s (:end prev)) ")"))
           ": Knossos tried every order of them")

      (= v initial)
      (str did ", but " (wrote over) " had completed at " (fmt-s (:end over))
           ", and nothing deletes a key")

      :else
      (str did ", but every write of " (pr-str v) " had been overwritten by " (wrote over)
           ", completed at " (fmt-s (:end over)) ", and no write of " (pr-str v) " was in flight"))))
