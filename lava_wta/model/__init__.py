"""The model's replaceable math as small compiled functions, shared by every execution.

* :mod:`lava_wta.model.plasticity` — STDP rules (the built-in additive rule and rules
  users register), the weight update of one synapse, and the helpers the composed Lava
  graph applies them with;
* :mod:`lava_wta.model.key` — the *model key* naming which rule a compiled execution
  uses, and :func:`~lava_wta.model.key.bind_key`, which gives Python a compiled function
  specialised for one key.

No Lava and no I/O here.
"""
