"""Sampling: jets from a trained model, the headline job (`jetgen sample`, `jetgen merge`,
:func:`jetgen.sample`).

* plan.py: check the arguments and settle the run once (jets, device, block, shard range)
* run.py: load the model and stream the plan's jets to a file or into memory
* batch.py: one network call: noise → jet kinematics → constituents
* jobs.py: which jets (n per class, or the rows of a --conditions file)
* seeds.py, shards.py, merge.py: per-jet seeds, the i-th of N pieces, joining them
* precision.py: --precision auto (the precisions themselves: jetgen.device)

Modules are imported directly (``from jetgen.sampling.run import sample_to_file``); this
file imports nothing, so that ``jetgen.sampling.seeds`` loads without torch.
"""
