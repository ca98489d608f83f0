;; A component that exports the guard interface of another contract version, guardmesh:guard@0.2.0.
(component
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (func $f (canon lift (core func $i "f")))
  (instance $g (export "configure" (func $f)) (export "evaluate" (func $f)))
  (export "guardmesh:guard/guard@0.2.0" (instance $g))
)
