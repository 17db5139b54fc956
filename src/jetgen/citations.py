"""BibTeX for the work jetgen builds on (`jetgen cite`)."""
# ruff: noqa: E501  (BibTeX author lists are kept on one line, as journals print them)

from __future__ import annotations

CITATIONS: dict[str, str] = {
    "jetnet": """@inproceedings{Kansal:2021cqp,
  author = {Kansal, Raghav and Duarte, Javier and Su, Hao and Orzari, Breno and Tomei, Thiago and Pierini, Maurizio and Touranakou, Mary and Vlimant, Jean-Roch and Gunopulos, Dimitrios},
  title = {Particle Cloud Generation with Message Passing Generative Adversarial Networks},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {34},
  year = {2021},
  eprint = {2106.11535},
  archivePrefix = {arXiv}
}""",
    "edm": """@inproceedings{Karras:2022edm,
  author = {Karras, Tero and Aittala, Miika and Aila, Timo and Laine, Samuli},
  title = {Elucidating the Design Space of Diffusion-Based Generative Models},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {35},
  year = {2022},
  eprint = {2206.00364},
  archivePrefix = {arXiv}
}""",
    "progressive-distillation": """@inproceedings{Salimans:2022pd,
  author = {Salimans, Tim and Ho, Jonathan},
  title = {Progressive Distillation for Fast Sampling of Diffusion Models},
  booktitle = {International Conference on Learning Representations},
  year = {2022},
  eprint = {2202.00512},
  archivePrefix = {arXiv}
}""",
    "consistency-models": """@inproceedings{Song:2023cm,
  author = {Song, Yang and Dhariwal, Prafulla and Chen, Mark and Sutskever, Ilya},
  title = {Consistency Models},
  booktitle = {International Conference on Machine Learning},
  year = {2023},
  eprint = {2303.01469},
  archivePrefix = {arXiv}
}""",
    "knowledge-distillation": """@article{Luhman:2021kd,
  author = {Luhman, Eric and Luhman, Troy},
  title = {Knowledge Distillation in Iterative Generative Models for Improved Sampling Speed},
  journal = {arXiv preprint},
  year = {2021},
  eprint = {2101.02388},
  archivePrefix = {arXiv}
}""",
    "pc-jedi": """@article{Leigh:2023toe,
  author = {Leigh, Matthew and Sengupta, Debajyoti and Qu\\'etant, Guillaume and Raine, John Andrew and Zoch, Knut and Golling, Tobias},
  title = {{PC-JeDi: Diffusion for particle cloud generation in high energy physics}},
  journal = {SciPost Phys.},
  volume = {16},
  pages = {018},
  year = {2024},
  eprint = {2303.05376},
  archivePrefix = {arXiv}
}""",
    "pc-droid": """@article{Leigh:2023zle,
  author = {Leigh, Matthew and Sengupta, Debajyoti and Raine, John Andrew and Qu\\'etant, Guillaume and Golling, Tobias},
  title = {{Faster diffusion model with improved quality for particle cloud generation}},
  journal = {Phys. Rev. D},
  volume = {109},
  pages = {012010},
  year = {2024},
  eprint = {2307.06836},
  archivePrefix = {arXiv}
}""",
    "fpcd": """@article{Mikuni:2023tqg,
  author = {Mikuni, Vinicius and Nachman, Benjamin and Pettee, Mariel},
  title = {{Fast point cloud generation with diffusion models in high energy physics}},
  journal = {Phys. Rev. D},
  volume = {108},
  pages = {036025},
  year = {2023},
  eprint = {2304.01266},
  archivePrefix = {arXiv}
}""",
}
