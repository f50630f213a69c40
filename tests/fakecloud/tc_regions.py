"""The regions the fake Tencent Cloud serves (SCF's regions)."""
REGIONS = ("ap-bangkok", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-guangzhou",
           "ap-hongkong", "ap-jakarta", "ap-mumbai", "ap-nanjing", "ap-seoul", "ap-shanghai",
           "ap-shanghai-fsi", "ap-shenzhen-fsi", "ap-singapore", "ap-tokyo", "eu-frankfurt",
           "na-ashburn", "na-siliconvalley", "sa-saopaulo")
