"""safetyreport: 专项整治报表的校验、汇总、报送情况与简报。"""

__version__ = "0.2.0"
